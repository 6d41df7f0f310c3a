//! Human-readable and JSON renderings of a relocation failure report, shared by
//! `relocate`, `check` and `dump`.

use btfkit::relocate::{Candidate, Failure, Mismatch, Problem, RelocateError};
use btfkit::Kind;
use serde_json::{json, Value};

fn mismatch_text(m: Mismatch) -> &'static str {
    match m {
        Mismatch::Kind => "another kind",
        Mismatch::Size => "another size",
        Mismatch::Encoding => "another encoding",
        Mismatch::Flavour => "the other struct/union flavour",
    }
}

fn mismatch_key(m: Mismatch) -> &'static str {
    match m {
        Mismatch::Kind => "kind",
        Mismatch::Size => "size",
        Mismatch::Encoding => "encoding",
        Mismatch::Flavour => "flavour",
    }
}

fn candidate_text(c: &Candidate) -> String {
    let size = if c.kind == Kind::FWD {
        String::new()
    } else {
        format!(" size {}", c.size)
    };
    match c.mismatch {
        Some(m) => format!("{} [{}]{size} ({})", c.kind, c.id, mismatch_text(m)),
        None => format!("{} [{}]{size}", c.kind, c.id),
    }
}

/// The cause of a failure in a few words, for summaries: `missing`, `size mismatch`, ...
pub fn cause(f: &Failure) -> &'static str {
    match &f.problem {
        Problem::InvalidDistilledType => "invalid distilled base",
        Problem::Ambiguous(_) => "ambiguous",
        Problem::UnmappedString { .. } => "unmapped string",
        Problem::Unmapped => {
            let ms: Vec<Option<Mismatch>> = f.candidates.iter().map(|c| c.mismatch).collect();
            if ms.is_empty() {
                "missing"
            } else if ms.contains(&Some(Mismatch::Size)) {
                "size mismatch"
            } else if ms.contains(&Some(Mismatch::Encoding)) {
                "encoding mismatch"
            } else if ms.contains(&Some(Mismatch::Flavour)) {
                "flavour mismatch"
            } else {
                "kind mismatch"
            }
        }
    }
}

/// One line per failure, with candidates, embedding and hints.
pub fn failure_lines(f: &Failure) -> String {
    let size = if f.kind == Kind::FWD {
        String::new()
    } else {
        format!(" size {}", f.size)
    };
    let mut s = format!("{} '{}' [{}]{size}", f.kind, f.name, f.dist_id);
    if !f.embedded_in.is_empty() {
        let ids: Vec<String> = f
            .embedded_in
            .iter()
            .map(|(i, n)| {
                if n.is_empty() {
                    format!("[{i}]")
                } else {
                    format!("[{i}] '{n}'")
                }
            })
            .collect();
        s.push_str(&format!(
            ", embedded by value in split type {}",
            ids.join(", ")
        ));
    }
    match &f.problem {
        Problem::InvalidDistilledType => s.push_str(": cannot be in a distilled base"),
        Problem::Ambiguous(ids) => {
            let ids: Vec<String> = ids.iter().map(|i| format!("[{i}]")).collect();
            s.push_str(&format!(
                ": ambiguous, several base types match: {}",
                ids.join(", ")
            ));
        }
        Problem::UnmappedString { in_type, offset } => {
            s = format!(
                "split type [{in_type}] '{}': string offset {offset} names no mapped distilled type",
                f.name
            );
        }
        Problem::Unmapped => {
            s.push_str(&format!(": {}", cause(f)));
            if f.candidates.is_empty() {
                s.push_str(": the base has no type of that name");
            } else {
                let c: Vec<String> = f.candidates.iter().map(candidate_text).collect();
                s.push_str(&format!("; the base has {}", c.join(", ")));
            }
        }
    }
    for (id, name) in &f.spelled_differently {
        s.push_str(&format!("; hint: the base spells it '{name}' [{id}]"));
    }
    s
}

/// The report as JSON.
pub fn failure_json(f: &Failure) -> Value {
    let problem = match &f.problem {
        Problem::InvalidDistilledType => json!({"kind": "invalid_distilled_type"}),
        Problem::Unmapped => json!({"kind": "unmapped", "cause": cause(f)}),
        Problem::Ambiguous(ids) => {
            json!({"kind": "ambiguous", "base_ids": ids.iter().map(|i| i.0).collect::<Vec<_>>()})
        }
        Problem::UnmappedString { in_type, offset } => {
            json!({"kind": "unmapped_string", "split_type": in_type.0, "offset": offset.0})
        }
    };
    json!({
        "dist_id": f.dist_id.0,
        "kind": f.kind.to_string(),
        "name": f.name,
        "size": f.size,
        "problem": problem,
        "embedded_in": f.embedded_in.iter().map(|(i, n)| json!({"id": i.0, "name": n})).collect::<Vec<_>>(),
        "candidates": f.candidates.iter().map(|c| json!({
            "id": c.id.0,
            "kind": c.kind.to_string(),
            "size": c.size,
            "mismatch": c.mismatch.map(mismatch_key),
        })).collect::<Vec<_>>(),
        "spelled_differently": f.spelled_differently.iter().map(|(id, n)| json!({"id": id.0, "name": n})).collect::<Vec<_>>(),
    })
}

/// A multi-line rendering of a whole relocation error, listing at most `max` failures
/// (0: all).
pub fn error_text(e: &RelocateError, max: usize) -> String {
    let failures = match e {
        RelocateError::NotSplit => return e.to_string(),
        RelocateError::Failed(f) => f,
    };
    let n = failures.len();
    let mut s = format!(
        "{n} distilled base type{} cannot be relocated:",
        if n == 1 { "" } else { "s" }
    );
    let shown = if max == 0 { n } else { n.min(max) };
    for f in &failures[..shown] {
        s.push_str("\n  ");
        s.push_str(&failure_lines(f));
    }
    if shown < n {
        s.push_str(&format!("\n  ... and {} more", n - shown));
    }
    s
}
