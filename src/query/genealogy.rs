//! A lot's genealogy (its ancestors and descendants through production) as
//! a graph, drawn as Graphviz DOT or Mermaid for reports and tickets.

use core::fmt::Write as _;
use std::string::String;
use std::vec::Vec;

use serde::Serialize;

use super::{LotRef, QueryError, View};
use crate::index::Index;
use crate::model::{Disposition, LotId};

/// A lot in a genealogy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GenealogyNode {
    /// The node's number (`n0`, `n1`, ... in the drawings).
    pub id: usize,
    /// The item.
    pub item: String,
    /// The lot code.
    pub lot: String,
    /// Steps from the start lot: negative for inputs, positive for outputs.
    pub generation: i64,
    /// The current status.
    pub status: Option<Disposition>,
}

/// An input lot feeding an output lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GenealogyEdge {
    /// The input's node.
    pub from: usize,
    /// The output's node.
    pub to: usize,
    /// The work order.
    pub work_order: String,
}

/// A lot's genealogy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Genealogy {
    /// The start lot (node 0).
    pub start: LotRef,
    /// Every lot reached, the start lot first.
    pub nodes: Vec<GenealogyNode>,
    /// Every production link among them.
    pub edges: Vec<GenealogyEdge>,
}

fn label(n: &GenealogyNode) -> String {
    let mut s = std::format!("{}/{}", n.item, n.lot);
    if let Some(st) = n.status {
        let name = match st {
            Disposition::Quarantine => "quarantine",
            Disposition::Released => "released",
            Disposition::OnHold => "on hold",
            Disposition::Rejected => "rejected",
        };
        s.push_str(" (");
        s.push_str(name);
        s.push(')');
    }
    s
}

fn dot_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '"' | '\\' => ['\\', c].into_iter().take(2),
            '\n' | '\r' => [' ', ' '].into_iter().take(1),
            c => [c, c].into_iter().take(1),
        })
        .collect()
}

fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

impl Genealogy {
    /// The graph in Graphviz DOT, left to right, the start lot in bold.
    #[must_use]
    pub fn to_dot(&self) -> String {
        let mut s = String::from("digraph genealogy {\n  rankdir=LR;\n  node [shape=box];\n");
        for n in &self.nodes {
            let style = if n.id == 0 { ", style=bold" } else { "" };
            let _ = writeln!(s, "  n{} [label=\"{}\"{style}];", n.id, dot_escape(&label(n)));
        }
        for e in &self.edges {
            let _ = writeln!(
                s,
                "  n{} -> n{} [label=\"{}\"];",
                e.from,
                e.to,
                dot_escape(&e.work_order)
            );
        }
        s.push_str("}\n");
        s
    }

    /// The graph as a Mermaid flowchart, left to right, the start lot in bold.
    #[must_use]
    pub fn to_mermaid(&self) -> String {
        let mut s = String::from("flowchart LR\n");
        for n in &self.nodes {
            let _ = writeln!(s, "  n{}[\"{}\"]", n.id, mermaid_escape(&label(n)));
        }
        for e in &self.edges {
            let _ =
                writeln!(s, "  n{} -->|\"{}\"| n{}", e.from, mermaid_escape(&e.work_order), e.to);
        }
        if !self.nodes.is_empty() {
            s.push_str("  style n0 stroke-width:3px\n");
        }
        s
    }
}

/// The genealogy of `lot`: every ancestor and descendant through production.
///
/// # Errors
/// [`QueryError::UnknownLot`] when no record names the lot.
pub fn genealogy(index: &Index, lot: &LotId) -> Result<Genealogy, QueryError> {
    let view = View::new(index);
    let start = view.lot_no(lot)?;
    let back = view.closure(&[start], false);
    let fwd = view.closure(&[start], true);
    let mut ids: Vec<u32> = Vec::new();
    let mut nodes = Vec::new();
    let mut add = |l: u32, generation: i64, nodes: &mut Vec<GenealogyNode>| {
        if !ids.contains(&l) {
            let r = view.lot_ref(l);
            nodes.push(GenealogyNode {
                id: ids.len(),
                item: r.item,
                lot: r.lot,
                generation,
                status: view.status(l),
            });
            ids.push(l);
        }
    };
    add(start, 0, &mut nodes);
    for &(l, d) in &back.lots {
        add(l, -i64::from(d), &mut nodes);
    }
    for &(l, d) in &fwd.lots {
        add(l, i64::from(d), &mut nodes);
    }
    let mut edges: Vec<GenealogyEdge> = Vec::new();
    for &(from, to, r) in back.edges.iter().chain(fwd.edges.iter()) {
        let (Some(f), Some(t)) =
            (ids.iter().position(|&x| x == from), ids.iter().position(|&x| x == to))
        else {
            continue;
        };
        let work_order = index
            .productions
            .get(r as usize)
            .and_then(|p| view.text(p.work_order))
            .unwrap_or_default();
        let edge = GenealogyEdge { from: f, to: t, work_order };
        if !edges.contains(&edge) {
            edges.push(edge);
        }
    }
    Ok(Genealogy { start: view.lot_ref(start), nodes, edges })
}
