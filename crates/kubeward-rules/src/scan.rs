//! A whole manifest scan: load inputs one at a time, run object rules on each object as soon as
//! its document is parsed, keep only what snapshot rules need, then run those. Memory stays
//! bounded by the largest file plus one document's tree, the kept objects and the findings.

use crate::Keep;
use crate::engine::{Active, Engine, RuleStats};
use crate::exceptions::ExceptionProblem;
#[cfg(test)]
use kubeward_core::Node;
use kubeward_core::cluster::{self, ClusterInfo, NotVisible};
use kubeward_core::view::is_workload_kind;
use kubeward_core::{Finding, Object, Snapshot, Str, Value};
use kubeward_load::{Input, LoadError, Loaded, Note, Options, Sink};
use rustc_hash::FxHashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Findings per storage chunk, and the room kept free for one object's findings.
const CHUNK: usize = 16 * 1024;
const HEADROOM: usize = 256;

/// Everything a report needs.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Sorted by file, then position, then rule code.
    pub findings: Vec<Finding>,
    pub errors: Vec<LoadError>,
    pub notes: Vec<Note>,
    /// The rules that ran, with their counts.
    pub rules: Vec<(Active, RuleStats)>,
    pub exception_problems: Vec<ExceptionProblem>,
    /// Findings suppressed by exceptions (annotations and config entries).
    pub suppressed: u64,
    pub files: u64,
    pub objects: u64,
    /// The clusters the objects came from (live scans and snapshot files).
    pub clusters: Vec<ClusterInfo>,
    /// What a cluster scan could not see: no finding is claimed there.
    pub not_visible: Vec<NotVisible>,
    /// Analyses that did not run, each with the reason (the attack paths of an input with
    /// more workloads than the scan's limit): no finding is claimed from them.
    pub skipped: Vec<String>,
    /// Findings on pods, ReplicaSets and Jobs that repeat their controller's (same rule, field
    /// and message): reported once, on the controller.
    pub repeated: u64,
}

/// Collects objects into an engine run, whatever their source (files, a cluster, a request).
#[derive(Debug)]
pub struct Scan {
    engine: Engine,
    /// Findings in fixed-size chunks: one huge vector that doubles as it grows would hold
    /// three times its size in memory at each growth.
    chunks: Vec<Vec<Finding>>,
    findings: Vec<Finding>,
    /// The order in which files were first seen, for report order.
    file_rank: FileRanks,
    last_file: Arc<str>,
    /// Keep workload references for snapshot rules (only when some are selected).
    wants_workloads: bool,
    snapshot: Snapshot,
    /// For controllers with a uid: hashes of their findings (and their own controller's), so
    /// the objects they own do not repeat them.
    controller_findings: FxHashMap<Str, Vec<u64>>,
    /// RBAC objects kept in compact form (`Keep::Rbac`).
    rbac: RbacInput,
    /// Workloads kept for the attack graph (`Keep::Graph`), and the most it may hold.
    graph_workloads: usize,
    paths_limit: usize,
    /// The limit was passed: the graph's objects were let go and paths are not computed.
    paths_skipped: bool,
    result: ScanResult,
}

/// The default of [`Scan::set_paths_limit`]: more workloads than the largest real clusters run,
/// fewer than would make the attack graph the bulk of a scan's memory (BENCHMARKS.md).
pub const DEFAULT_PATHS_LIMIT: usize = 25_000;

impl Scan {
    pub fn new(engine: Engine) -> Scan {
        Scan {
            wants_workloads: engine.has_snapshot_rules(),
            engine,
            chunks: Vec::new(),
            findings: Vec::new(),
            file_rank: FileRanks::default(),
            last_file: Arc::from(""),
            snapshot: Snapshot::default(),
            controller_findings: FxHashMap::default(),
            rbac: RbacInput::default(),
            graph_workloads: 0,
            paths_limit: DEFAULT_PATHS_LIMIT,
            paths_skipped: false,
            result: ScanResult::default(),
        }
    }

    /// The most workloads the attack-path rules (KW230–KW232) may keep; past it they report
    /// nothing and the result says why (`ScanResult::skipped`). 0: never compute paths.
    pub fn set_paths_limit(&mut self, limit: usize) {
        self.paths_limit = limit;
        let selected = self.engine.rules().iter().any(|a| {
            crate::rules::paths::RULES
                .iter()
                .any(|r| std::ptr::eq(*r, a.rule))
        });
        if limit == 0 && selected && !self.paths_skipped {
            self.paths_skipped = true;
            self.result.skipped.push(
                "attack paths (KW230-KW232) not computed: turned off (--paths-limit 0)".into(),
            );
        }
    }

    /// Lets go of what the attack graph kept, once the limit is passed.
    fn skip_paths(&mut self) {
        self.paths_skipped = true;
        let engine = &self.engine;
        let objects = std::mem::take(&mut self.snapshot.objects);
        self.snapshot.objects = objects
            .into_iter()
            .filter_map(|o| match engine.retains(&o) {
                Some(Keep::Graph) => without_graph(engine, o),
                _ => Some(o),
            })
            .collect();
        self.result.skipped.push(format!(
            "attack paths (KW230-KW232) not computed: the input has more than {} workloads \
             (--paths-limit); raise the limit or run `kubeward paths`",
            self.paths_limit
        ));
    }

    /// Checks one object and keeps what snapshot rules need of it.
    pub fn add_object(&mut self, object: Object) {
        self.result.objects += 1;
        if !Arc::ptr_eq(&self.last_file, &object.source.file) {
            self.last_file = object.source.file.clone();
            self.file_rank.see(&object.source.file);
        }
        if self.findings.len() + HEADROOM > CHUNK {
            let full = std::mem::replace(&mut self.findings, Vec::with_capacity(CHUNK));
            self.chunks.push(full);
        }
        if cluster::is_cluster(&object) {
            self.result.clusters.push(cluster::info(&object));
            self.result
                .not_visible
                .extend(cluster::not_visible(&object));
        }
        let first = self.findings.len();
        let oref = self.engine.check_object(&object, &mut self.findings);
        if object.uid.is_some() || object.owner.is_some() {
            self.drop_repeats(&object, first);
        }
        // A pod (or ReplicaSet, Job) whose controller was seen is that controller's workload.
        let owned = object
            .owner
            .as_ref()
            .is_some_and(|o| self.controller_findings.contains_key(o));
        if self.wants_workloads && object.builtin && is_workload_kind(&object.kind) && !owned {
            let oref = oref.unwrap_or_else(|| Arc::new(object.to_ref()));
            self.snapshot.workloads.push(oref);
        }
        if self.wants_workloads
            && let Some(ns) = &object.namespace
            && !self.snapshot.namespaces.contains(ns)
        {
            self.snapshot.namespaces.insert(ns.clone());
        }
        match self.engine.retains(&object) {
            Some(Keep::Whole) => {
                let mut object = object;
                object.root.shrink_to_fit();
                self.snapshot.objects.push(object)
            }
            Some(Keep::Metadata) => self.snapshot.objects.push(metadata_only(object)),
            Some(Keep::Pods) => self.snapshot.objects.push(pods_only(object)),
            Some(Keep::Graph) => {
                if self.paths_skipped {
                    self.snapshot
                        .objects
                        .extend(without_graph(&self.engine, object));
                    return;
                }
                let graph = object.builtin
                    && kubeward_rbac::graph::GRAPH_KINDS.contains(&object.kind.as_str());
                if graph && is_workload_kind(&object.kind) {
                    self.graph_workloads += 1;
                    if self.graph_workloads > self.paths_limit {
                        self.skip_paths();
                        self.snapshot
                            .objects
                            .extend(without_graph(&self.engine, object));
                        return;
                    }
                }
                let kept = if graph {
                    kubeward_rbac::graph::prune(object)
                } else {
                    Some(metadata_only(object))
                };
                self.snapshot.objects.extend(kept);
            }
            Some(Keep::Rbac) if object.builtin => {
                if let Some(r) = kubeward_rbac::Role::from_object(&object, false) {
                    self.rbac.push_role(r);
                } else if let Some(b) = kubeward_rbac::Binding::from_object(&object, false) {
                    self.rbac.push_binding(b);
                }
            }
            Some(Keep::Rbac) => {}
            None => {}
        }
    }

    /// Drops the new findings (from `first` on) of an owned object that its controller already
    /// has, and remembers a controller's findings for the objects it owns. Controllers come
    /// before what they own in a cluster snapshot; in any other order nothing is dropped.
    fn drop_repeats(&mut self, object: &Object, first: usize) {
        let inherited = object
            .owner
            .as_ref()
            .and_then(|owner| self.controller_findings.get(owner));
        let mut mine: Vec<u64> = self.findings[first..].iter().map(repeat_key).collect();
        if let Some(inherited) = inherited {
            let tail = self.findings.split_off(first);
            let before = tail.len();
            let new = tail
                .into_iter()
                .filter(|f| inherited.binary_search(&repeat_key(f)).is_err());
            self.findings.extend(new);
            self.result.repeated += (before - (self.findings.len() - first)) as u64;
            mine.extend(inherited.iter().copied());
        }
        if let Some(uid) = &object.uid
            && object.builtin
            && is_controller_kind(&object.kind)
        {
            mine.sort_unstable();
            mine.dedup();
            self.controller_findings.insert(uid.clone(), mine);
        }
    }

    /// Loads one input and checks its objects as they are parsed.
    pub fn add_input(&mut self, input: &Input, opts: &Options) {
        self.result.files += 1;
        kubeward_load::load_input(input, opts, self);
    }

    /// Checks the objects of an already loaded input.
    pub fn add_loaded(&mut self, loaded: Loaded) {
        self.result.files += 1;
        self.result.errors.extend(loaded.errors);
        self.result.notes.extend(loaded.notes);
        for object in loaded.objects {
            self.add_object(object);
        }
    }

    /// Records an error that happened outside loading (e.g. a path that does not exist).
    pub fn add_error(&mut self, error: LoadError) {
        self.result.errors.push(error);
    }

    /// Runs the snapshot rules and returns the result in report order: inputs in the order
    /// they were given (a directory walk is sorted by name), then document, list item,
    /// position and rule.
    pub fn finish(mut self) -> ScanResult {
        let rbac = std::mem::take(&mut self.rbac);
        self.snapshot.memo.get_or_init(RBAC_INPUT, || rbac);
        if self.paths_skipped {
            crate::rules::paths::skip(&self.snapshot);
        }
        let mut late = Vec::new();
        self.engine.check_snapshot(&self.snapshot, &mut late);
        let mut result = self.result;
        self.chunks.push(self.findings);
        let total = self.chunks.iter().map(Vec::len).sum::<usize>() + late.len();
        result.findings.reserve_exact(total);
        for chunk in self.chunks {
            result.findings.extend(chunk); // each chunk is freed as soon as it is moved
        }
        // Object findings arrive in order (see `Engine::check_object`); the few snapshot
        // findings are sorted and merged in.
        let ranks = &self.file_rank;
        let cmp = |a: &Finding, b: &Finding| order(ranks, a, b);
        if !result.findings.is_sorted_by(|a, b| cmp(a, b).is_le()) {
            // Objects that share a position (built in memory, or from a live cluster) do not
            // arrive in order: sort them all.
            result.findings.sort_unstable_by(cmp);
        }
        if !late.is_empty() {
            late.sort_unstable_by(cmp);
            let early = std::mem::take(&mut result.findings);
            result.findings = merge(early, late, cmp);
        }
        result.rules = self
            .engine
            .rules()
            .iter()
            .copied()
            .zip(self.engine.stats().iter().copied())
            .collect();
        result.suppressed = result.rules.iter().map(|(_, s)| s.suppressed).sum();
        result.exception_problems = self.engine.exceptions().problems();
        result
    }
}

impl Sink for Scan {
    fn object(&mut self, object: Object) {
        self.add_object(object);
    }
    fn error(&mut self, error: LoadError) {
        self.result.errors.push(error);
    }
    fn note(&mut self, note: Note) {
        self.result.notes.push(note);
    }
}

/// Report order: input (in the order files were first seen), document, list item, object,
/// line, column, rule, message.
fn order(ranks: &FileRanks, a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let file = if Arc::ptr_eq(&a.location.file, &b.location.file) {
        std::cmp::Ordering::Equal
    } else {
        ranks
            .rank(&a.location.file)
            .cmp(&ranks.rank(&b.location.file))
    };
    let key = |f: &Finding| (f.object.doc, f.object.item);
    let at = |f: &Finding| (f.location.line, f.location.column);
    let who = |x: &Finding, y: &Finding| {
        (&x.object.kind, &x.object.namespace, &x.object.name).cmp(&(
            &y.object.kind,
            &y.object.namespace,
            &y.object.name,
        ))
    };
    file.then_with(|| key(a).cmp(&key(b)))
        .then_with(|| who(a, b))
        .then_with(|| at(a).cmp(&at(b)))
        .then_with(|| a.rule.code.cmp(b.rule.code))
        .then_with(|| a.message.cmp(&b.message))
}

/// The order in which inputs were first seen. Keyed by the address of the file name's `Arc`,
/// which every object and finding of one input shares; the map holds a clone of each `Arc`, so
/// an address cannot be freed and reused by a later input.
#[derive(Debug, Default)]
struct FileRanks(rustc_hash::FxHashMap<usize, (u32, Arc<str>)>);

impl FileRanks {
    fn key(file: &Arc<str>) -> usize {
        Arc::as_ptr(file).cast::<u8>() as usize
    }

    fn see(&mut self, file: &Arc<str>) {
        let next = self.0.len() as u32;
        self.0
            .entry(Self::key(file))
            .or_insert_with(|| (next, file.clone()));
    }

    fn rank(&self, file: &Arc<str>) -> u32 {
        self.0
            .get(&Self::key(file))
            .map_or(u32::MAX, |(rank, _)| *rank)
    }
}

/// The memo key of the RBAC objects a scan kept in compact form.
const RBAC_INPUT: &str = "kubeward-rules/rbac-input";

/// RBAC objects kept in the evaluator's compact form (`Keep::Rbac`), in input order, for the
/// one rule that builds the shared analysis to take.
#[derive(Debug, Default)]
pub struct RbacInput(
    std::sync::Mutex<Option<(Vec<kubeward_rbac::Role>, Vec<kubeward_rbac::Binding>)>>,
);

impl RbacInput {
    fn push_role(&mut self, r: kubeward_rbac::Role) {
        if let Ok(slot) = self.0.get_mut() {
            slot.get_or_insert_with(Default::default).0.push(r);
        }
    }

    fn push_binding(&mut self, b: kubeward_rbac::Binding) {
        if let Ok(slot) = self.0.get_mut() {
            slot.get_or_insert_with(Default::default).1.push(b);
        }
    }

    /// The roles and bindings, once (`None` after the first call, or when none were kept).
    pub fn take(&self) -> Option<(Vec<kubeward_rbac::Role>, Vec<kubeward_rbac::Binding>)> {
        self.0.lock().ok()?.take()
    }
}

/// The RBAC objects a scan kept in compact form, if the snapshot came from a scan; `None` for
/// a snapshot built by hand (its RBAC objects are then in `objects`).
pub fn rbac_input(snapshot: &Snapshot) -> Option<std::sync::Arc<RbacInput>> {
    snapshot.memo.get(RBAC_INPUT)
}

/// Kinds whose pod template becomes other objects' specs.
fn is_controller_kind(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment"
            | "ReplicaSet"
            | "StatefulSet"
            | "DaemonSet"
            | "Job"
            | "CronJob"
            | "ReplicationController"
    )
}

/// A finding's identity across a controller and what it owns: rule, field (with the pod
/// template's prefix removed) and message.
fn repeat_key(f: &Finding) -> u64 {
    let path = f
        .path
        .strip_prefix("/spec/jobTemplate/spec/template")
        .or_else(|| f.path.strip_prefix("/spec/template"))
        .unwrap_or(&f.path);
    let mut h = rustc_hash::FxHasher::default();
    (f.rule.code, path, &*f.message).hash(&mut h);
    h.finish()
}

/// Merges two sorted runs into one.
fn merge(
    a: Vec<Finding>,
    b: Vec<Finding>,
    cmp: impl Fn(&Finding, &Finding) -> std::cmp::Ordering,
) -> Vec<Finding> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => cmp(x, y).is_le(),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_a { a.next() } else { b.next() });
    }
    out
}

/// Strips an object to `apiVersion`, `kind` and `metadata` (without `managedFields`), for
/// snapshot rules that need only identity, labels and annotations.
/// What the other snapshot rules need of an object the graph asked for, once the graph is
/// given up: its metadata, or nothing.
fn without_graph(engine: &Engine, object: Object) -> Option<Object> {
    match engine.retains_without_graph(&object) {
        Some(Keep::Whole) => Some(object),
        Some(Keep::Pods | Keep::Graph) => Some(pods_only(object)),
        Some(_) => Some(metadata_only(object)),
        None => None,
    }
}

/// What the NetworkPolicy analysis reads of a workload, Service or Ingress; the metadata of
/// other kinds.
fn pods_only(object: Object) -> Object {
    if object.builtin && kubeward_netpol::PRUNED_KINDS.contains(&object.kind.as_str()) {
        kubeward_netpol::prune(object).expect("a kind prune cuts down")
    } else {
        metadata_only(object)
    }
}

fn metadata_only(mut object: Object) -> Object {
    if let Value::Map(entries) = &mut object.root.value {
        entries.retain(|e| matches!(e.key.as_str(), "apiVersion" | "kind" | "metadata"));
        entries.shrink_to_fit();
        if let Some(meta) = entries.iter_mut().find(|e| e.key == "metadata")
            && let Value::Map(fields) = &mut meta.value.value
        {
            fields.retain(|f| f.key != "managedFields");
        }
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exceptions::{Date, Exceptions};
    use kubeward_core::Severity;
    use kubeward_load::Loaded;
    use std::collections::HashMap;

    fn engine(codes: &[&str]) -> Engine {
        let rules: Vec<_> = codes.iter().map(|c| crate::find(c).unwrap()).collect();
        Engine::new(
            &rules,
            &HashMap::new(),
            Exceptions::new(vec![], Date::today()),
        )
    }

    fn load(text: &str) -> Loaded {
        let mut out = Loaded::default();
        kubeward_load::load_bytes(
            "t.yaml".into(),
            text.as_bytes(),
            false,
            &Options::default(),
            &mut out,
        );
        out
    }

    #[test]
    fn findings_across_many_chunks_keep_count_and_order() {
        // Two privileged containers per pod: 2 findings each, well past one storage chunk.
        let pods = CHUNK;
        let mut text = String::new();
        for i in 0..pods {
            text.push_str(&format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec:\n  containers:\n  - {{name: a, image: x, securityContext: {{privileged: true}}}}\n  - {{name: b, image: x, securityContext: {{privileged: true}}}}\n"
            ));
        }
        let mut scan = Scan::new(engine(&["KW101"]));
        scan.add_loaded(load(&text));
        let result = scan.finish();
        assert_eq!(result.findings.len(), 2 * pods);
        assert!(result.findings.windows(2).all(|w| {
            (w[0].object.doc, w[0].location.line) <= (w[1].object.doc, w[1].location.line)
        }));
        assert_eq!(result.findings[0].object.name, "p0");
        assert_eq!(
            result.findings[2 * pods - 1].object.name,
            format!("p{}", pods - 1)
        );
        assert!(result.findings[1].path.contains("/containers/1/"));
    }

    #[test]
    fn metadata_only_retention_strips_everything_else() {
        let loaded = load(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\n  namespace: a\n  labels: {team: red}\n  managedFields: [{manager: kubectl}]\nspec:\n  podSelector: {}\n",
        );
        let object = loaded.objects.into_iter().next().unwrap();
        let kept = metadata_only(object);
        let keys: Vec<&str> = kept.root.entries().iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata"]);
        let meta = kept.root.get("metadata").unwrap();
        assert!(meta.get("managedFields").is_none());
        assert_eq!(
            meta.path(&["labels", "team"]).and_then(Node::as_str),
            Some("red")
        );
        assert_eq!(kept.namespace.as_deref(), Some("a"));
    }

    #[test]
    fn snapshot_rules_decide_what_is_kept() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: a}\nspec: {podSelector: {}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n";
        let mut with = Scan::new(engine(&["KW305"]));
        with.add_loaded(load(text));
        assert_eq!(
            with.snapshot.objects.len(),
            1,
            "only the NetworkPolicy is kept"
        );
        assert!(with.snapshot.objects[0].root.get("spec").is_none());
        let mut without = Scan::new(engine(&["KW101"]));
        without.add_loaded(load(text));
        assert!(
            without.snapshot.objects.is_empty(),
            "no snapshot rule, nothing kept"
        );
    }

    /// The attack-path rules keep what the graph reads: a Secret's type and metadata, never its
    /// data; a workload's pod spec without its commands and plain env values.
    #[test]
    fn graph_retention_keeps_no_secret_data() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\n  namespace: a\n  annotations: {kubernetes.io/service-account.name: app, note: x}\ntype: kubernetes.io/service-account-token\ndata: {token: c2VjcmV0}\nstringData: {other: plain}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - name: c\n    image: x\n    command: [run]\n    env:\n    - {name: A, value: plain}\n    - name: B\n      valueFrom: {secretKeyRef: {name: t, key: token}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: b}\ndata: {k: v}\n";
        let mut scan = Scan::new(engine(&["KW231"]));
        scan.add_loaded(load(text));
        let kept = &scan.snapshot.objects;
        assert_eq!(kept.len(), 2, "the ConfigMap is not kept");
        let secret = &kept[0].root;
        assert!(secret.get("data").is_none() && secret.get("stringData").is_none());
        assert_eq!(
            secret.get("type").and_then(Node::as_str),
            Some("kubernetes.io/service-account-token")
        );
        let annotations = secret.path(&["metadata", "annotations"]).unwrap();
        assert!(
            annotations
                .get("kubernetes.io/service-account.name")
                .is_some()
        );
        assert!(annotations.get("note").is_none());
        let c = kept[1].root.path(&["spec", "containers"]).unwrap().items()[0].clone();
        assert!(c.get("command").is_none() && c.get("image").is_none());
        let env = c.get("env").unwrap().items();
        assert!(env[0].is_null(), "a plain value is blanked, its index kept");
        assert!(
            env[1]
                .path(&["valueFrom", "secretKeyRef", "name"])
                .is_some()
        );
        // Every namespace seen is known, kept or not.
        let ns: Vec<&str> = scan
            .snapshot
            .namespaces
            .iter()
            .map(|n| n.as_str())
            .collect();
        assert_eq!(ns, ["a", "b"]);
    }

    /// Past the limit, the graph's objects are let go and the paths are skipped, with a reason.
    #[test]
    fn paths_past_the_limit_are_skipped_with_a_reason() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/KW231/fail-exposed.yaml"
        ))
        .unwrap();
        let twice = format!("{text}\n---\n{}", text.replace("builder", "builder2"));
        let run = |limit: usize| {
            let mut scan = Scan::new(engine(&["KW230", "KW231", "KW232"]));
            scan.set_paths_limit(limit);
            scan.add_loaded(load(&twice));
            assert!(
                scan.snapshot.objects.is_empty() || limit >= 2,
                "past the limit nothing is kept that no other rule needs"
            );
            scan.finish()
        };
        let within = run(2);
        assert!(within.skipped.is_empty());
        assert_eq!(within.findings.len(), 4);
        let past = run(1);
        assert!(past.findings.is_empty());
        assert_eq!(past.skipped.len(), 1);
        assert!(
            past.skipped[0].contains("more than 1 workloads"),
            "{:?}",
            past.skipped
        );
        let off = run(0);
        assert!(off.findings.is_empty());
        assert!(off.skipped[0].contains("turned off"), "{:?}", off.skipped);
        // Without the path rules there is nothing to skip.
        let mut scan = Scan::new(engine(&["KW101"]));
        scan.set_paths_limit(0);
        scan.add_loaded(load(&twice));
        assert!(scan.finish().skipped.is_empty());
    }

    /// A path's finding carries the path's severity, unless the config sets the rule's.
    #[test]
    fn path_severity_unless_overridden() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/KW231/fail-exposed.yaml"
        ))
        .unwrap();
        let run = |overrides: HashMap<String, Severity>| {
            let rules = [crate::find("KW231").unwrap()];
            let e = Engine::new(&rules, &overrides, Exceptions::new(vec![], Date::today()));
            let mut scan = Scan::new(e);
            scan.add_loaded(load(&text));
            let mut sev: Vec<Severity> =
                scan.finish().findings.iter().map(|f| f.severity).collect();
            sev.sort();
            sev
        };
        assert_eq!(run(HashMap::new()), [Severity::High, Severity::Critical]);
        let fixed = HashMap::from([("KW231".to_string(), Severity::Low)]);
        assert_eq!(run(fixed), [Severity::Low, Severity::Low]);
    }
}

#[cfg(test)]
mod keep_tests {
    use crate::Keep;

    /// A rule that needs an RBAC object's tree must get it even when the RBAC rules ask only for
    /// the compact form (they fall back to the trees).
    #[test]
    fn whole_outranks_the_compact_rbac_form() {
        assert_eq!(Keep::Rbac.max(Keep::Whole), Keep::Whole);
        assert_eq!(Keep::Rbac.max(Keep::Metadata), Keep::Rbac);
    }
}
