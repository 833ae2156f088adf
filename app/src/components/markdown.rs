//! Markdown shown safely: the domain parses it into plain data (`tocsin_domain::markdown`) and
//! this renders each node as an element with its text as text. No string of the input is ever
//! used as HTML, and links only ever point at http(s) or mailto.

use leptos::prelude::*;
use tocsin_domain::markdown::{parse, Block, Inline};

/// Renders `text` (notes, summaries, checklist steps, status updates).
#[component]
pub fn Markdown(#[prop(into)] text: String, #[prop(optional)] class: &'static str) -> impl IntoView {
    let blocks = parse(&text);
    view! { <div class=format!("md {class}")>{blocks.into_iter().map(block).collect_view()}</div> }
}

fn block(b: Block) -> AnyView {
    match b {
        Block::Paragraph(i) => view! { <p>{inlines(i)}</p> }.into_any(),
        // Headings inside a note are small: they structure the note, not the page.
        Block::Heading(1 | 2, i) => view! { <h3>{inlines(i)}</h3> }.into_any(),
        Block::Heading(_, i) => view! { <h4>{inlines(i)}</h4> }.into_any(),
        Block::Code(c) => view! { <pre class="mono"><code>{c}</code></pre> }.into_any(),
        Block::List { ordered: false, items, .. } => view! { <ul>{items.into_iter().map(|i| view! { <li>{inlines(i)}</li> }).collect_view()}</ul> }.into_any(),
        Block::List { start, items, .. } => {
            view! { <ol start=start.to_string()>{items.into_iter().map(|i| view! { <li>{inlines(i)}</li> }).collect_view()}</ol> }.into_any()
        }
    }
}

fn inlines(nodes: Vec<Inline>) -> AnyView {
    nodes.into_iter().map(inline).collect_view().into_any()
}

fn inline(n: Inline) -> AnyView {
    match n {
        Inline::Text(t) => t.into_any(),
        Inline::Strong(c) => view! { <strong>{inlines(c)}</strong> }.into_any(),
        Inline::Emphasis(c) => view! { <em>{inlines(c)}</em> }.into_any(),
        Inline::Code(c) => view! { <code class="mono">{c}</code> }.into_any(),
        Inline::Link { href, children } => view! { <a href=href target="_blank" rel="noopener noreferrer nofollow">{inlines(children)}</a> }.into_any(),
        Inline::LineBreak => view! { <br/> }.into_any(),
    }
}
