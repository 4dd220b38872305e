//! Cross-checks the crate's AI table against GS1's Barcode Syntax Dictionary.
//!
//! Set `LOTLEDGER_GS1_DICTIONARY` to the path of `gs1-syntax-dictionary.txt`
//! (CI does). Without it the test says it skipped and passes.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::std_instead_of_core,
    reason = "test code: a failed unwrap or index is a failed test"
)]

use std::fmt::Write as _;

use lotledger::interop::gs1::{Cset, Linter, table::TABLE};

/// One dictionary entry, read independently of the generator script.
#[derive(Debug, PartialEq)]
struct Entry {
    first: String,
    last: String,
    fixed_length: bool,
    dl_data_attr: bool,
    components: Vec<String>,
    req: Vec<String>,
    ex: Vec<String>,
    dlpkey: Option<String>,
    title: String,
}

fn is_component(t: &str) -> bool {
    let t = t.trim_start_matches('[');
    t.starts_with(['N', 'X', 'Y', 'Z'])
        && t[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.')
}

/// Normalises a component token to `[N3]` or `N..20` plus `,linter` names.
fn normalise(t: &str) -> String {
    let optional = t.starts_with('[');
    let t = t.trim_start_matches('[');
    let (spec, linters) = t.split_once(',').map_or((t, ""), |(s, l)| (s, l));
    let spec = spec.trim_end_matches(']');
    let (cset, len) = spec.split_at(1);
    let (min, max) = match len.split_once("..") {
        Some(("", max)) => ("1", max),
        Some((min, max)) => (min, max),
        None => (len, len),
    };
    let mut s = format!(
        "{}{cset}{min}-{max}{}",
        if optional { "[" } else { "" },
        if optional { "]" } else { "" }
    );
    for l in linters.split(',').filter(|l| !l.is_empty()) {
        write!(s, ",{l}").unwrap();
    }
    s
}

fn parse_dictionary(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (body, title) = line.split_once('#').map_or((line, ""), |(b, t)| (b, t.trim()));
        let mut toks = body.split_whitespace().peekable();
        let ais = toks.next().unwrap();
        let (first, last) = ais.split_once('-').unwrap_or((ais, ais));
        let flags = match toks.peek() {
            Some(t)
                if !t.chars().next().unwrap().is_ascii_alphanumeric() && !t.starts_with('[') =>
            {
                toks.next().unwrap()
            }
            _ => "",
        };
        let mut e = Entry {
            first: first.into(),
            last: last.into(),
            fixed_length: flags.contains('*'),
            dl_data_attr: flags.contains('?'),
            components: vec![],
            req: vec![],
            ex: vec![],
            dlpkey: None,
            title: title.into(),
        };
        for t in toks {
            if let Some(r) = t.strip_prefix("req=") {
                e.req.push(r.into());
            } else if let Some(x) = t.strip_prefix("ex=") {
                e.ex.push(x.into());
            } else if t == "dlpkey" {
                e.dlpkey = Some(String::new());
            } else if let Some(k) = t.strip_prefix("dlpkey=") {
                e.dlpkey = Some(k.into());
            } else if is_component(t) {
                e.components.push(normalise(t));
            } else {
                panic!("unrecognised token {t:?} in line {line:?}");
            }
        }
        out.push(e);
    }
    out
}

fn from_table() -> Vec<Entry> {
    TABLE
        .iter()
        .map(|e| Entry {
            first: e.first.into(),
            last: e.last.into(),
            fixed_length: e.fixed_length,
            dl_data_attr: e.dl_data_attr,
            components: e
                .components
                .iter()
                .map(|c| {
                    let cset = match c.cset {
                        Cset::N => 'N',
                        Cset::X => 'X',
                        Cset::Y => 'Y',
                        Cset::Z => 'Z',
                    };
                    let (o, cl) = if c.optional { ("[", "]") } else { ("", "") };
                    let mut s = format!("{o}{cset}{}-{}{cl}", c.min, c.max);
                    for l in c.linters {
                        write!(s, ",{}", l.name()).unwrap();
                    }
                    s
                })
                .collect(),
            req: e.req.iter().map(|s| s.to_string()).collect(),
            ex: e.ex.iter().map(|s| s.to_string()).collect(),
            dlpkey: e.dlpkey.map(str::to_string),
            title: e.title.into(),
        })
        .collect()
}

#[test]
fn table_matches_dictionary() {
    let Ok(path) = std::env::var("LOTLEDGER_GS1_DICTIONARY") else {
        println!(
            "skipped: set LOTLEDGER_GS1_DICTIONARY to the syntax dictionary's path to cross-check the AI table"
        );
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let dict = parse_dictionary(&text);
    let ours = from_table();
    let mut diffs = String::new();
    for d in &dict {
        match ours.iter().find(|o| o.first == d.first) {
            None => {
                writeln!(diffs, "({}) is in the dictionary but not in the table", d.first).unwrap()
            }
            Some(o) if o != d => {
                writeln!(diffs, "({}) differs:\n  dictionary: {d:?}\n  table:      {o:?}", d.first)
                    .unwrap()
            }
            Some(_) => {}
        }
        for c in &d.components {
            for l in c.split(',').skip(1) {
                if Linter::from_name(l).is_none() {
                    writeln!(diffs, "({}) uses linter {l:?}, unknown to the crate", d.first)
                        .unwrap();
                }
            }
        }
    }
    for o in &ours {
        if !dict.iter().any(|d| d.first == o.first) {
            writeln!(diffs, "({}) is in the table but not in the dictionary", o.first).unwrap();
        }
    }
    assert!(diffs.is_empty(), "AI table differs from {path}:\n{diffs}");
    println!("checked {} entries against {path}", dict.len());
}

#[test]
fn normalise_reads_component_forms() {
    assert_eq!(normalise("N18,csum,gcppos2"), "N18-18,csum,gcppos2");
    assert_eq!(normalise("X..20"), "X1-20");
    assert_eq!(normalise("[N3],iso3166"), "[N3-3],iso3166");
    assert_eq!(normalise("[X..17]"), "[X1-17]");
}
