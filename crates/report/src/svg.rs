//! Inline SVG charts for the HTML report: a horizontal bar chart (median seconds per variant)
//! and a small line chart (heap and RSS over time). Pure: data in, markup out. Colours come
//! from classes the page's stylesheet defines, so the charts follow the page's theme.
//!
//! ```
//! use hiperf_report::svg::{Bar, BarKind, bar_chart};
//!
//! let bars = [Bar {
//!     label: "naive".into(),
//!     value: 0.5,
//!     low: Some(0.4),
//!     high: Some(0.6),
//!     annotation: "0.5 s, 1x".into(),
//!     title: "naive: 0.5 s".into(),
//!     kind: BarKind::Naive,
//! }];
//! let svg = bar_chart("Median seconds", &bars, |s| format!("{s} s"));
//! assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
//! ```

use std::fmt::Write;

use crate::html::escape;
use crate::model::Chart;

/// Width of every bar chart, in CSS pixels.
const CHART_WIDTH: f64 = 980.0;
/// Height of one bar's row.
const ROW_HEIGHT: f64 = 26.0;
/// Height of a bar inside its row.
const BAR_HEIGHT: f64 = 16.0;
/// Room above the bars for the axis labels.
const AXIS_HEIGHT: f64 = 22.0;
/// Approximate width of one character of the 12 px label font.
const CHARACTER_WIDTH: f64 = 7.0;
/// Approximate width of one character of the 11 px legend font.
const LEGEND_CHARACTER_WIDTH: f64 = 6.0;

/// What a bar stands for, which sets its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarKind {
    /// The naive variant, the ladder's baseline.
    Naive,
    /// A faster (or slower) variant whose check passed.
    Variant,
    /// A variant whose check failed.
    Failed,
}

impl BarKind {
    fn class(self) -> &'static str {
        match self {
            BarKind::Naive => "bar naive",
            BarKind::Variant => "bar variant",
            BarKind::Failed => "bar failed",
        }
    }
}

/// One bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// The name at the left of the bar.
    pub label: String,
    /// Its length (seconds).
    pub value: f64,
    /// The whisker's low end (fastest run), if any.
    pub low: Option<f64>,
    /// The whisker's high end (slowest run), if any.
    pub high: Option<f64>,
    /// The text after the bar (value and speedup).
    pub annotation: String,
    /// The tooltip (`<title>`) of the bar.
    pub title: String,
    /// Its colour.
    pub kind: BarKind,
}

/// A horizontal bar chart on a linear axis from zero, one row per bar, with min–max whiskers,
/// the annotation after each bar and a `<title>` on each bar for tooltips and screen readers.
pub fn bar_chart(title: &str, bars: &[Bar], tick_label: impl Fn(f64) -> String) -> String {
    let label_width = bars
        .iter()
        .map(|bar| bar.label.chars().count())
        .max()
        .map_or(40.0, |chars| {
            (chars as f64 * CHARACTER_WIDTH + 14.0).clamp(40.0, 240.0)
        });
    let annotation_width = bars
        .iter()
        .map(|bar| bar.annotation.chars().count())
        .max()
        .map_or(0.0, |chars| chars as f64 * CHARACTER_WIDTH + 12.0)
        .min(260.0);
    let plot_left = label_width;
    let plot_width = (CHART_WIDTH - label_width - annotation_width).max(120.0);
    let largest = bars
        .iter()
        .flat_map(|bar| [Some(bar.value), bar.high])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let ticks = nice_ticks(largest);
    let domain = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    let x = |value: f64| plot_left + plot_width * (value.max(0.0) / domain).min(1.0);
    let height = AXIS_HEIGHT + ROW_HEIGHT * bars.len() as f64 + 6.0;

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart bars\" role=\"img\" \
         aria-label=\"{label}\" width=\"{CHART_WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {CHART_WIDTH} {height}\"><title>{label}</title>",
        label = escape(title),
    );
    for &tick in &ticks {
        let position = x(tick);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{position:.1}\" y1=\"{top:.1}\" x2=\"{position:.1}\" \
             y2=\"{bottom:.1}\"/><text class=\"tick\" x=\"{position:.1}\" y=\"14\" \
             text-anchor=\"middle\">{text}</text>",
            top = AXIS_HEIGHT - 4.0,
            bottom = height - 4.0,
            text = escape(&tick_label(tick)),
        );
    }
    for (index, bar) in bars.iter().enumerate() {
        let row_top = AXIS_HEIGHT + ROW_HEIGHT * index as f64;
        let bar_top = row_top + (ROW_HEIGHT - BAR_HEIGHT) / 2.0;
        let middle = row_top + ROW_HEIGHT / 2.0;
        let value = if bar.value.is_finite() {
            bar.value
        } else {
            0.0
        };
        // A bar shorter than a pixel would vanish: every bar keeps at least one pixel, and its
        // annotation says the real figure.
        let bar_width = (x(value) - plot_left).max(1.0);
        let _ = write!(
            svg,
            "<g><title>{title}</title><text class=\"label\" x=\"{label_x:.1}\" y=\"{text_y:.1}\" \
             text-anchor=\"end\">{label}</text><rect class=\"{class}\" x=\"{plot_left:.1}\" \
             y=\"{bar_top:.1}\" width=\"{bar_width:.1}\" height=\"{BAR_HEIGHT}\" rx=\"2\"/>",
            title = escape(&bar.title),
            label_x = plot_left - 8.0,
            text_y = middle + 4.0,
            label = escape(&bar.label),
            class = bar.kind.class(),
        );
        if let (Some(low), Some(high)) = (bar.low, bar.high)
            && low.is_finite()
            && high.is_finite()
            && high > low
        {
            let (left, right) = (x(low), x(high));
            let _ = write!(
                svg,
                "<path class=\"whisker\" d=\"M{left:.1} {middle:.1}H{right:.1}M{left:.1} \
                 {cap_top:.1}V{cap_bottom:.1}M{right:.1} {cap_top:.1}V{cap_bottom:.1}\"/>",
                cap_top = middle - 4.0,
                cap_bottom = middle + 4.0,
            );
        }
        let after = plot_left + bar_width.max(bar.high.map_or(0.0, |h| x(h) - plot_left)) + 6.0;
        let _ = write!(
            svg,
            "<text class=\"annotation\" x=\"{after:.1}\" y=\"{text_y:.1}\">{annotation}</text></g>",
            text_y = middle + 4.0,
            annotation = escape(&bar.annotation),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One line of a line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// The CSS class of its stroke.
    pub class: &'static str,
    /// (x, y) points, in order of x.
    pub points: Vec<(f64, f64)>,
}

/// A small line chart from zero on both axes, with the largest x and y labelled and a legend.
pub fn line_chart(
    title: &str,
    series: &[Series],
    x_label: impl Fn(f64) -> String,
    y_label: impl Fn(f64) -> String,
) -> String {
    const WIDTH: f64 = 400.0;
    const HEIGHT: f64 = 150.0;
    const LEFT: f64 = 78.0;
    const RIGHT: f64 = 12.0;
    const TOP: f64 = 24.0;
    const BOTTOM: f64 = 22.0;
    let all = series.iter().flat_map(|s| &s.points);
    let (x_max, y_max) = all
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .fold((0.0_f64, 0.0_f64), |(xm, ym), &(x, y)| {
            (xm.max(x), ym.max(y))
        });
    let x_domain = if x_max > 0.0 { x_max } else { 1.0 };
    let y_domain = if y_max > 0.0 { y_max * 1.05 } else { 1.0 };
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let px = |x: f64| LEFT + plot_width * (x / x_domain).clamp(0.0, 1.0);
    let py = |y: f64| TOP + plot_height * (1.0 - (y / y_domain).clamp(0.0, 1.0));

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart lines\" role=\"img\" \
         aria-label=\"{label}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\"><title>{label}</title>\
         <path class=\"axis\" d=\"M{LEFT} {TOP}V{bottom}H{right}\"/>\
         <text class=\"tick\" x=\"{tick_x}\" y=\"{top_text}\" text-anchor=\"end\">{y_top}</text>\
         <text class=\"tick\" x=\"{tick_x}\" y=\"{bottom_text}\" text-anchor=\"end\">0</text>\
         <text class=\"tick\" x=\"{LEFT}\" y=\"{x_text}\" text-anchor=\"start\">0 s</text>\
         <text class=\"tick\" x=\"{right}\" y=\"{x_text}\" text-anchor=\"end\">{x_right}</text>",
        label = escape(title),
        bottom = TOP + plot_height,
        right = LEFT + plot_width,
        tick_x = LEFT - 6.0,
        top_text = py(y_max) + 4.0,
        bottom_text = TOP + plot_height,
        x_text = HEIGHT - 6.0,
        y_top = escape(&y_label(y_max)),
        x_right = escape(&x_label(x_max)),
    );
    let mut legend_x = LEFT;
    for line in series {
        let points: Vec<(f64, f64)> = line
            .points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        if points.is_empty() {
            continue;
        }
        let mut path = String::new();
        for (index, &(x, y)) in points.iter().enumerate() {
            let _ = write!(
                path,
                "{}{:.1} {:.1}",
                if index == 0 { "M" } else { "L" },
                px(x),
                py(y)
            );
        }
        let _ = write!(
            svg,
            "<g class=\"{class}\"><title>{name}</title><path class=\"line\" d=\"{path}\"/>",
            class = line.class,
            name = escape(&line.name),
        );
        // Few samples would draw a line without showing where the data is.
        if points.len() <= 24 {
            for &(x, y) in &points {
                let _ = write!(
                    svg,
                    "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\"/>",
                    px(x),
                    py(y)
                );
            }
        }
        let _ = write!(
            svg,
            "<rect class=\"key\" x=\"{legend_x:.1}\" y=\"8\" width=\"10\" height=\"10\"/>\
             <text class=\"tick\" x=\"{text_x:.1}\" y=\"17\">{name}</text></g>",
            text_x = legend_x + 14.0,
            name = escape(&line.name),
        );
        legend_x += 14.0 + line.name.chars().count() as f64 * LEGEND_CHARACTER_WIDTH + 14.0;
    }
    svg.push_str("</svg>");
    svg
}

/// The CSS classes of the lines of an [`xy_chart`], in order; past the last they repeat.
const XY_CLASSES: [&str; 4] = ["s0", "s1", "s2", "s3"];

/// A chart of measured points, one line per series, with a labelled x axis from zero and a
/// y axis that is logarithmic (decade ticks) when `chart.log_y`, else linear from zero.
/// Points a logarithmic axis cannot show (y <= 0) and non-finite ones are left out.
///
/// ```
/// use hiperf_report::model::{Chart, ChartSeries};
/// use hiperf_report::svg::xy_chart;
///
/// let chart = Chart {
///     title: "Wall time against concurrency".into(),
///     x_label: "concurrency".into(),
///     y_label: "seconds".into(),
///     log_y: true,
///     series: vec![ChartSeries { name: "delay 5 ms".into(), points: vec![(1.0, 2.5), (26.0, 0.1)] }],
/// };
/// let svg = xy_chart(&chart, |x| format!("{x}"), |y| format!("{y} s"));
/// assert!(svg.starts_with("<svg") && svg.contains("delay 5 ms") && svg.contains("0.1 s"));
/// ```
pub fn xy_chart(
    chart: &Chart,
    x_label: impl Fn(f64) -> String,
    y_label: impl Fn(f64) -> String,
) -> String {
    const WIDTH: f64 = 640.0;
    const HEIGHT: f64 = 300.0;
    const LEFT: f64 = 72.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 30.0;
    const BOTTOM: f64 = 46.0;
    let shown = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!chart.log_y || y > 0.0);
    let points = || {
        chart
            .series
            .iter()
            .flat_map(|s| s.points.iter().filter(|p| shown(p)))
    };
    let x_max = points().map(|p| p.0).fold(0.0_f64, f64::max);
    let x_ticks = nice_ticks(x_max);
    let x_domain = x_ticks
        .last()
        .copied()
        .unwrap_or(1.0)
        .max(f64::MIN_POSITIVE);
    let (y_ticks, y_low, y_high) = if chart.log_y {
        let low = points().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let high = points().map(|p| p.1).fold(0.0_f64, f64::max);
        let (low, high) = if low.is_finite() && high > 0.0 {
            (low.log10().floor() as i32, high.log10().ceil() as i32)
        } else {
            (0, 1)
        };
        let high = high.max(low + 1);
        let ticks: Vec<f64> = (low..=high).map(|power| 10f64.powi(power)).collect();
        (ticks, f64::from(low), f64::from(high))
    } else {
        let ticks = nice_ticks(points().map(|p| p.1).fold(0.0_f64, f64::max));
        let high = ticks.last().copied().unwrap_or(1.0);
        (ticks, 0.0, high)
    };
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let px = |x: f64| LEFT + plot_width * (x / x_domain).clamp(0.0, 1.0);
    let py = |y: f64| {
        let position = if chart.log_y { y.log10() } else { y };
        let fraction = ((position - y_low) / (y_high - y_low)).clamp(0.0, 1.0);
        TOP + plot_height * (1.0 - fraction)
    };
    let bottom = TOP + plot_height;
    let right = LEFT + plot_width;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart xy\" role=\"img\" \
         aria-label=\"{label}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\"><title>{label}</title>",
        label = escape(&chart.title),
    );
    for &tick in &y_ticks {
        let y = py(tick);
        let _ = write!(
            svg,
            "<path class=\"grid\" d=\"M{LEFT} {y:.1}H{right}\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            y + 4.0,
            escape(&y_label(tick)),
        );
    }
    for &tick in &x_ticks {
        let x = px(tick);
        let _ = write!(
            svg,
            "<path class=\"grid\" d=\"M{x:.1} {TOP}V{bottom}\"/>\
             <text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            bottom + 15.0,
            escape(&x_label(tick)),
        );
    }
    let _ = write!(
        svg,
        "<path class=\"axis\" d=\"M{LEFT} {TOP}V{bottom}H{right}\"/>\
         <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text class=\"tick\" x=\"{LEFT}\" y=\"{:.1}\" text-anchor=\"start\">{}{}</text>",
        LEFT + plot_width / 2.0,
        HEIGHT - 6.0,
        escape(&chart.x_label),
        TOP - 8.0,
        escape(&chart.y_label),
        if chart.log_y { " (log scale)" } else { "" },
    );
    let mut legend_x = right;
    for (index, series) in chart.series.iter().enumerate().rev() {
        let shown_points: Vec<(f64, f64)> =
            series.points.iter().copied().filter(|p| shown(p)).collect();
        let class = XY_CLASSES[index % XY_CLASSES.len()];
        let mut path = String::new();
        for (position, &(x, y)) in shown_points.iter().enumerate() {
            let _ = write!(
                path,
                "{}{:.1} {:.1}",
                if position == 0 { "M" } else { "L" },
                px(x),
                py(y)
            );
        }
        let _ = write!(
            svg,
            "<g class=\"{class}\"><title>{name}</title><path class=\"line\" d=\"{path}\"/>",
            name = escape(&series.name),
        );
        for &(x, y) in &shown_points {
            let _ = write!(
                svg,
                "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\"><title>{}: {}, {}</title></circle>",
                px(x),
                py(y),
                escape(&series.name),
                escape(&x_label(x)),
                escape(&y_label(y)),
            );
        }
        legend_x -= 14.0 + series.name.chars().count() as f64 * LEGEND_CHARACTER_WIDTH + 14.0;
        let _ = write!(
            svg,
            "<rect class=\"key\" x=\"{legend_x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            TOP - 17.0,
            legend_x + 14.0,
            TOP - 8.0,
            escape(&series.name),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Ticks 0, step, 2·step, ... up to the first at or above `largest`, with a step of 1, 2 or 5
/// times a power of ten giving at most five intervals.
pub fn nice_ticks(largest: f64) -> Vec<f64> {
    if !(largest.is_finite() && largest > 0.0) {
        return vec![0.0, 1.0];
    }
    let rough = largest / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&step| step >= rough)
        .unwrap_or(10.0 * magnitude);
    let count = (largest / step - 1e-9).ceil().max(1.0) as usize;
    (0..=count).map(|index| index as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_cover_the_largest_value_in_round_steps() {
        let ticks = nice_ticks(1.0);
        assert_eq!(ticks.len(), 6);
        assert!((ticks[5] - 1.0).abs() < 1e-12 && (ticks[1] - 0.2).abs() < 1e-12);
        let ticks = nice_ticks(0.0084);
        assert!(*ticks.last().unwrap() >= 0.0084);
        assert!(ticks.len() <= 6, "{ticks:?}");
        assert_eq!(nice_ticks(0.0), vec![0.0, 1.0]);
    }

    fn chart(log_y: bool, points: Vec<(f64, f64)>) -> Chart {
        Chart {
            title: "t < 1 & u".into(),
            x_label: "concurrency".into(),
            y_label: "seconds".into(),
            log_y,
            series: vec![crate::model::ChartSeries {
                name: "delay <5> ms".into(),
                points,
            }],
        }
    }

    #[test]
    fn a_log_axis_spans_whole_decades_and_drops_points_it_cannot_show() {
        let svg = xy_chart(
            &chart(
                true,
                vec![(1.0, 2.5), (26.0, 0.04), (51.0, 0.0), (76.0, f64::NAN)],
            ),
            |x| format!("{x}"),
            |y| format!("{y} s"),
        );
        // 0.04 to 2.5 s: decades 0.01, 0.1, 1 and 10.
        for tick in ["0.01 s", "0.1 s", ">1 s<", ">10 s<"] {
            assert!(svg.contains(tick), "{tick} in {svg}");
        }
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "y = 0 and NaN are left out"
        );
        assert!(svg.contains("(log scale)"));
        assert!(svg.contains("t &lt; 1 &amp; u") && svg.contains("delay &lt;5&gt; ms"));
        assert!(!svg.contains("<5>"));
    }

    #[test]
    fn a_linear_axis_starts_at_zero_and_an_empty_chart_still_renders() {
        let svg = xy_chart(
            &chart(false, vec![(0.0, 0.0), (10.0, 3.0)]),
            |x| format!("{x}"),
            |y| format!("{y}"),
        );
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(!svg.contains("log scale"));
        let empty = xy_chart(&chart(true, vec![]), |x| format!("{x}"), |y| format!("{y}"));
        assert!(empty.starts_with("<svg") && empty.ends_with("</svg>"));
        assert!(!empty.contains("NaN") && !empty.contains("inf"));
    }
}
