//! Flame graphs from folded stacks, drawn by inferno (kept out of the runtime: it is heavy).

/// An interactive SVG flame graph of `folded` (`a;b;c COUNT` lines, counts in nanoseconds);
/// `None` when there is nothing to draw.
pub fn render(folded: &str, title: &str) -> Result<Option<String>, String> {
    if folded.trim().is_empty() {
        return Ok(None);
    }
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_string();
    options.count_name = "ns".to_string();
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(&mut options, folded.lines(), &mut svg)
        .map_err(|error| format!("cannot draw the flame graph: {error}"))?;
    String::from_utf8(svg)
        .map(Some)
        .map_err(|error| format!("the flame graph is not UTF-8: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_is_well_formed_and_names_every_frame() {
        let folded = "app::main;app::work 1500\napp::main;app::work;app::leaf 500\napp::main 100\n";
        let svg = render(folded, "test").unwrap().unwrap();
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        let document =
            roxmltree::Document::parse_with_options(&svg, options).expect("well-formed XML");
        assert_eq!(document.root_element().tag_name().name(), "svg");
        for frame in ["app::main", "app::work", "app::leaf"] {
            assert!(svg.contains(frame), "{frame} missing");
        }
    }

    #[test]
    fn nothing_to_draw_is_not_an_error() {
        assert_eq!(render("", "empty").unwrap(), None);
    }
}
