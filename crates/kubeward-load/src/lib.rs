//! Loads Kubernetes manifests: files, directories (recursively), stdin; multi-document YAML and
//! JSON; `kind: List` and every `*List`. Every object keeps its file, document index and a tree
//! of positions, so findings point at the exact line.
//!
//! Bad input never stops the load: each problem becomes a [`LoadError`] with file, line and
//! column, and the rest of the input is still loaded.

mod fast;
mod snapshot;
pub mod yaml;

use kubeward_core::{Entry, Node, Object, Pos, Source, Str, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
pub use yaml::Limits;

/// A problem with one input (or one document of it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", place(file, *line, *column))]
pub struct LoadError {
    pub file: Arc<str>,
    /// 0 when the problem concerns the whole file.
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// `file:line:column`, or just `file` for a problem with the whole file.
fn place(file: &str, line: u32, column: u32) -> String {
    if line == 0 {
        file.to_string()
    } else {
        format!("{file}:{line}:{column}")
    }
}

/// Something skipped on purpose (a document that is not a Kubernetes object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub file: Arc<str>,
    pub line: u32,
    pub message: String,
}

/// Receives what a load produces, as it is produced: objects one document at a time, so a
/// consumer that checks and drops them keeps at most one document's tree in memory.
pub trait Sink {
    fn object(&mut self, object: Object);
    fn error(&mut self, error: LoadError);
    fn note(&mut self, note: Note);
}

/// What one load produced, collected.
#[derive(Debug, Default)]
pub struct Loaded {
    pub objects: Vec<Object>,
    pub errors: Vec<LoadError>,
    pub notes: Vec<Note>,
}

impl Sink for Loaded {
    fn object(&mut self, object: Object) {
        self.objects.push(object);
    }
    fn error(&mut self, error: LoadError) {
        self.errors.push(error);
    }
    fn note(&mut self, note: Note) {
        self.notes.push(note);
    }
}

/// Input limits; the defaults suit manifests (Kubernetes itself caps a request at 3 MiB).
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Larger files are rejected with an error instead of being read.
    pub max_file_size: u64,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_file_size: 256 * 1024 * 1024,
            limits: Limits::default(),
        }
    }
}

/// One input to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    pub fn name(&self) -> Arc<str> {
        match self {
            Input::File(p) => p.display().to_string().into(),
            Input::Stdin => "-".into(),
        }
    }
}

/// Manifest extensions picked up when walking a directory.
const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Expands command-line paths into inputs: `-` is stdin, a file is taken as is, a directory is
/// walked recursively (sorted, hidden entries skipped) for `.yaml`, `.yml` and `.json` files.
pub fn discover(paths: &[PathBuf]) -> (Vec<Input>, Vec<LoadError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                errors.push(file_error(
                    path.display().to_string().into(),
                    &e.to_string(),
                ));
                continue;
            }
        };
        if !meta.is_dir() {
            inputs.push(Input::File(path.clone()));
            continue;
        }
        let walker = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_file() && has_manifest_extension(e.path()) => {
                    inputs.push(Input::File(e.into_path()));
                }
                Ok(_) => {}
                Err(e) => {
                    let p = e.path().unwrap_or(path).display().to_string();
                    errors.push(file_error(p.into(), &e.to_string()));
                }
            }
        }
    }
    (inputs, errors)
}

fn has_manifest_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn file_error(file: Arc<str>, message: &str) -> LoadError {
    LoadError {
        file,
        line: 0,
        column: 0,
        message: message.to_string(),
    }
}

/// Reads and loads one input into `out`.
pub fn load_input(input: &Input, opts: &Options, out: &mut dyn Sink) {
    let name = input.name();
    match read_input(input, opts, &name) {
        Ok(bytes) => {
            let json = matches!(input, Input::File(p) if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")));
            load_bytes(name, &bytes, json, opts, out);
        }
        Err(e) => out.error(e),
    }
}

fn read_input(input: &Input, opts: &Options, name: &Arc<str>) -> Result<Vec<u8>, LoadError> {
    let too_big = |size: u64| {
        file_error(
            name.clone(),
            &format!(
                "input is {}, larger than the {} limit (--max-file-size)",
                human_size(size),
                human_size(opts.max_file_size)
            ),
        )
    };
    let mut buf = Vec::new();
    let reader: Box<dyn Read> = match input {
        Input::File(path) => {
            let file =
                std::fs::File::open(path).map_err(|e| file_error(name.clone(), &e.to_string()))?;
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if len > opts.max_file_size {
                return Err(too_big(len));
            }
            buf.reserve(len as usize);
            Box::new(file)
        }
        Input::Stdin => Box::new(std::io::stdin().lock()),
    };
    // Read one byte past the limit to detect inputs that grew or have no known size (stdin).
    reader
        .take(opts.max_file_size + 1)
        .read_to_end(&mut buf)
        .map_err(|e| file_error(name.clone(), &e.to_string()))?;
    if buf.len() as u64 > opts.max_file_size {
        return Err(too_big(buf.len() as u64));
    }
    Ok(buf)
}

/// "1.0 GiB", "256 MiB", "12 KiB", "17 B".
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["GiB", "MiB", "KiB", "B"];
    for (i, unit) in UNITS.iter().enumerate() {
        let scale = 1u64 << (10 * (3 - i));
        if n >= scale && scale > 1 {
            let v = n as f64 / scale as f64;
            return if v.fract() == 0.0 {
                format!("{v:.0} {unit}")
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{n} B")
}

/// Loads objects from the bytes of one input. `json` parses the whole input as one document.
pub fn load_bytes(file: Arc<str>, bytes: &[u8], json: bool, opts: &Options, out: &mut dyn Sink) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = line_col(bytes, e.valid_up_to());
            let what = if bytes.contains(&0) {
                "this looks like a binary file, not YAML or JSON"
            } else {
                "expected UTF-8 text"
            };
            out.error(LoadError {
                file,
                line,
                column,
                message: format!("invalid UTF-8: {what}"),
            });
            return;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(at) = text.find('\0') {
        let (line, column) = line_col(text.as_bytes(), at);
        out.error(LoadError {
            file,
            line,
            column,
            message: "NUL byte: this looks like a binary file, not YAML or JSON".into(),
        });
        return;
    }
    if let Some(items) = snapshot::split_items(text) {
        // A kubeward snapshot: parse item by item (see `snapshot`).
        for (i, (line, chunk)) in items.into_iter().enumerate() {
            match yaml::parse_one(chunk, line, &opts.limits) {
                Ok(root) => add_document(&file, 0, root, Some(i as u32), out),
                Err(e) => out.error(LoadError {
                    file: file.clone(),
                    line: e.pos.line,
                    column: e.pos.col,
                    message: e.message,
                }),
            }
        }
        return;
    }
    yaml::each_document(text, json, &opts.limits, &mut |doc| match doc.root {
        Ok(root) => add_document(&file, doc.index, root, None, out),
        Err(e) => out.error(LoadError {
            file: file.clone(),
            line: e.pos.line,
            column: e.pos.col,
            message: e.message,
        }),
    });
}

fn line_col(bytes: &[u8], at: usize) -> (u32, u32) {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u32
        + 1;
    (line, column)
}

/// Turns one document into objects: a Kubernetes object, the items of a List, or a note.
fn add_document(file: &Arc<str>, doc: u32, root: Node, item: Option<u32>, out: &mut dyn Sink) {
    let note = |out: &mut dyn Sink, pos: Pos, message: String| {
        out.note(Note {
            file: file.clone(),
            line: pos.line,
            message,
        })
    };
    let what = match item {
        Some(i) => format!("item {i} of document {doc}"),
        None => format!("document {doc}"),
    };
    if root.is_null() {
        return;
    }
    if !root.is_map() {
        note(
            out,
            root.pos,
            format!(
                "{what} is {}, not a Kubernetes object; skipped",
                root.type_name()
            ),
        );
        return;
    }
    // `apiVersion` and `kind` must be strings when present: a wrong type is an error.
    for field in ["apiVersion", "kind"] {
        if let Some(e) = root.entry(field)
            && !matches!(e.value.value, Value::Str(_) | Value::Null)
        {
            out.error(LoadError {
                file: file.clone(),
                line: e.value.pos.line,
                column: e.value.pos.col,
                message: format!(
                    "expected `{field}` to be a string, found {}",
                    e.value.type_name()
                ),
            });
            return;
        }
    }
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or_default();
    let api_version = root
        .get("apiVersion")
        .and_then(Node::as_str)
        .unwrap_or_default();
    if kind.is_empty() || api_version.is_empty() {
        let missing = if kind.is_empty() {
            "kind"
        } else {
            "apiVersion"
        };
        note(
            out,
            root.pos,
            format!("{what} has no `{missing}`, not a Kubernetes object; skipped"),
        );
        return;
    }
    // A kubeward snapshot is a list too: the collected objects and one `Cluster`.
    let snapshot = kind == kubeward_core::cluster::SNAPSHOT_KIND
        && api_version.split_once('/').map(|(g, _)| g)
            == Some(kubeward_core::kinds::KUBEWARD_GROUP);
    if (kind.ends_with("List") || snapshot) && item.is_none() && root.entry("items").is_some() {
        // A typed list (`PodList`, as the API server returns it) names its items' kind once.
        let typed = kind
            .strip_suffix("List")
            .filter(|k| !k.is_empty() && !snapshot)
            .map(|k| (Str::from(k), Str::from(api_version)));
        expand_list(file, doc, root, typed, out);
        return;
    }
    if let Some(m) = root.entry("metadata")
        && !matches!(m.value.value, Value::Map(_) | Value::Null)
    {
        out.error(LoadError {
            file: file.clone(),
            line: m.value.pos.line,
            column: m.value.pos.col,
            message: format!(
                "expected `metadata` to be a mapping, found {}",
                m.value.type_name()
            ),
        });
        return;
    }
    let source = Source {
        file: file.clone(),
        doc,
        item,
    };
    out.object(Object::new(root, source));
}

fn expand_list(
    file: &Arc<str>,
    doc: u32,
    mut root: Node,
    typed: Option<(Str, Str)>,
    out: &mut dyn Sink,
) {
    let Value::Map(entries) = &mut root.value else {
        return;
    };
    let Some(items) = entries.iter_mut().find(|e| e.key == "items") else {
        return;
    };
    match std::mem::replace(&mut items.value.value, Value::Null) {
        Value::Seq(items) => {
            for (i, mut item) in items.into_iter().enumerate() {
                // Items of a typed list may omit `kind` and `apiVersion` (kubectl fills them
                // in from the list).
                if let (Some((kind, api_version)), Value::Map(entries)) = (&typed, &mut item.value)
                {
                    for (field, value) in [("apiVersion", api_version), ("kind", kind)] {
                        if !entries.iter().any(|e| e.key == field) {
                            entries.insert(
                                0,
                                Entry {
                                    key: Str::from(field),
                                    key_pos: item.pos,
                                    value: Node::new(item.pos, Value::Str(value.clone())),
                                },
                            );
                        }
                    }
                }
                add_document(file, doc, item, Some(i as u32), out);
            }
        }
        Value::Null => {}
        other => {
            let node = Node::new(items.value.pos, other);
            out.error(LoadError {
                file: file.clone(),
                line: node.pos.line,
                column: node.pos.col,
                message: format!(
                    "expected `items` to be a sequence, found {}",
                    node.type_name()
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        let mut out = Loaded::default();
        load_bytes(
            "t.yaml".into(),
            text.as_bytes(),
            false,
            &Options::default(),
            &mut out,
        );
        out
    }

    /// Items of a typed list (`PodList`, as the API server returns it) may omit their kind and
    /// apiVersion; they get the list's, as kubectl does. Items that state theirs keep them.
    #[test]
    fn typed_list_items_get_the_list_kind() {
        let out = load(
            "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a, namespace: x}\n  spec: {}\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: b}\n",
        );
        assert!(out.errors.is_empty() && out.notes.is_empty(), "{out:?}");
        let kinds: Vec<(&str, &str, &str)> = out
            .objects
            .iter()
            .map(|o| (o.kind.as_str(), o.api_version.as_str(), o.name.as_str()))
            .collect();
        assert_eq!(kinds, [("Pod", "v1", "a"), ("Deployment", "apps/v1", "b")]);
        assert_eq!(out.objects[0].source.item, Some(0));
        // A plain `List` names no kind: its kind-less items are still skipped, with a note.
        let out = load("apiVersion: v1\nkind: List\nitems:\n- metadata: {name: a}\n");
        assert!(out.objects.is_empty());
        assert_eq!(out.notes.len(), 1);
    }

    #[test]
    fn lists_are_expanded() {
        let out = load(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n",
        );
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert_eq!(out.objects.len(), 2);
        assert_eq!(out.objects[1].kind, "Service");
        assert_eq!(out.objects[1].source.item, Some(1));
        assert_eq!(out.objects[1].root.pos.line, 7);
        let out = load("apiVersion: v1\nkind: PodList\nitems:\n- apiVersion: v1\n  kind: Pod\n");
        assert_eq!(out.objects.len(), 1);
    }

    #[test]
    fn non_objects_are_noted_and_wrong_kind_types_are_errors() {
        let out = load(
            "just: data\n---\n- a\n---\napiVersion: v1\nkind: [Pod]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\n",
        );
        assert_eq!(out.notes.len(), 2, "{:?}", out.notes);
        assert_eq!(out.errors.len(), 1);
        assert_eq!((out.errors[0].line, out.errors[0].column), (6, 7));
        assert!(out.errors[0].message.contains("`kind` to be a string"));
        assert_eq!(out.objects.len(), 1);
        assert_eq!(out.objects[0].name, "ok");
    }

    #[test]
    fn binary_input_is_an_error_with_position() {
        let out = load("apiVersion: v1\nkind: Pod\n\0\x01\x02");
        assert_eq!(out.errors.len(), 1);
        assert_eq!((out.errors[0].line, out.errors[0].column), (3, 1));
        let mut out = Loaded::default();
        load_bytes(
            "b".into(),
            b"a: 1\nb: \xff\xfe",
            false,
            &Options::default(),
            &mut out,
        );
        assert_eq!((out.errors[0].line, out.errors[0].column), (2, 4));
    }

    #[test]
    fn oversized_files_are_rejected_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.yaml");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(1 << 30).unwrap(); // sparse 1 GiB
        let mut out = Loaded::default();
        load_input(&Input::File(p), &Options::default(), &mut out);
        assert_eq!(out.errors.len(), 1);
        assert!(
            out.errors[0].message.contains("1 GiB"),
            "{}",
            out.errors[0].message
        );
    }

    #[test]
    fn discover_walks_directories_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/.hidden")).unwrap();
        for f in [
            "b/z.yml",
            "a.yaml",
            "b/c.json",
            "b/readme.md",
            "b/.hidden/x.yaml",
        ] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let (inputs, errors) = discover(&[dir.path().to_path_buf(), "missing.yaml".into()]);
        assert_eq!(errors.len(), 1);
        let names: Vec<String> = inputs
            .iter()
            .map(|i| match i {
                Input::File(p) => p.strip_prefix(dir.path()).unwrap().display().to_string(),
                Input::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(names, ["a.yaml", "b/c.json", "b/z.yml"]);
    }
}

#[cfg(test)]
mod snapshot_tests {
    use super::*;

    /// A snapshot as `kubeward snapshot` lays it out, with nested values, unicode and escapes.
    const SNAPSHOT: &str = r#"{
  "apiVersion": "kubeward.io/v1alpha1",
  "kind": "Snapshot",
  "metadata": {"name":"prod","creationTimestamp":"2026-11-23T21:00:00Z"},
  "items": [
    {
      "apiVersion": "kubeward.io/v1alpha1",
      "kind": "Cluster",
      "metadata": {
        "name": "prod"
      },
      "status": {
        "notVisible": []
      }
    },
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {
        "name": "añb",
        "namespace": "dev",
        "annotations": {
          "x": "a \"quoted\" }, value\\n"
        }
      },
      "spec": {
        "containers": [
          {
            "name": "c",
            "securityContext": {
              "privileged": true
            }
          }
        ]
      }
    }
  ]
}
"#;

    #[test]
    fn snapshot_items_load_exactly_as_the_whole_document_does() {
        assert!(snapshot::split_items(SNAPSHOT).is_some());
        let mut split = Loaded::default();
        load_bytes(
            "s.json".into(),
            SNAPSHOT.as_bytes(),
            true,
            &Options::default(),
            &mut split,
        );
        let mut whole = Loaded::default();
        let file: Arc<str> = "s.json".into();
        yaml::each_document(SNAPSHOT, true, &Options::default().limits, &mut |d| {
            add_document(&file, d.index, d.root.unwrap(), None, &mut whole)
        });
        assert!(split.errors.is_empty() && whole.errors.is_empty());
        assert_eq!(split.objects.len(), 2);
        assert_eq!(split.objects.len(), whole.objects.len());
        for (a, b) in split.objects.iter().zip(&whole.objects) {
            assert_eq!(a.root, b.root, "values and positions");
            assert_eq!(a.source, b.source);
        }
        assert_eq!(split.objects[1].root.pos, Pos::new(16, 5));
    }

    #[test]
    fn a_broken_snapshot_item_costs_only_itself() {
        let broken = SNAPSHOT.replace("\"privileged\": true", "\"privileged\": true]");
        let mut out = Loaded::default();
        load_bytes(
            "s.json".into(),
            broken.as_bytes(),
            true,
            &Options::default(),
            &mut out,
        );
        assert_eq!(out.objects.len(), 1);
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].line, 31, "{:?}", out.errors);
    }
}

#[cfg(test)]
mod snapshot_robustness {
    use super::*;

    /// Every truncation and every deleted line of a snapshot loads without a panic, and every
    /// error has a position.
    #[test]
    fn mutated_snapshots_never_panic() {
        let text = snapshot_tests_text();
        let check = |t: &str| {
            let mut out = Loaded::default();
            load_bytes(
                "s.json".into(),
                t.as_bytes(),
                true,
                &Options::default(),
                &mut out,
            );
            for e in &out.errors {
                assert!(e.line > 0, "{e:?} in {t:?}");
            }
        };
        for cut in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
            check(&text[..cut]);
        }
        let lines: Vec<&str> = text.lines().collect();
        for skip in 0..lines.len() {
            let t: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            check(&(t.join("\n") + "\n"));
        }
    }

    fn snapshot_tests_text() -> String {
        let mut s = String::from(
            "{\n  \"apiVersion\": \"kubeward.io/v1alpha1\",\n  \"kind\": \"Snapshot\",\n  \"items\": [\n",
        );
        for i in 0..3 {
            if i > 0 {
                s.push_str(",\n");
            }
            s.push_str(&format!(
                "    {{\n      \"apiVersion\": \"v1\",\n      \"kind\": \"Pod\",\n      \"metadata\": {{\n        \"name\": \"p{i}\"\n      }},\n      \"spec\": {{\n        \"hostPID\": true\n      }}\n    }}"
            ));
        }
        s.push_str("\n  ]\n}\n");
        assert!(snapshot::split_items(&s).is_some());
        s
    }
}
