//! The generated cluster of the NetworkPolicy benchmark (`examples/netpol_bench.rs`), shared
//! with the tests that check the class-based matrix against pair-by-pair evaluation.

use std::fmt::Write as _;

/// The first namespace is `kube-system` (what the DNS egress rules point at).
fn ns_name(n: usize) -> String {
    if n == 0 {
        "kube-system".to_string()
    } else {
        format!("ns-{n:02}")
    }
}

pub const POLICIES_PER_NS: usize = 10;
const TIERS: [&str; 5] = ["web", "api", "db", "cache", "worker"];

/// Deterministic pseudo-random numbers (no dependency, same cluster every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The manifests of a generated cluster: `workloads` workloads spread over `namespaces`
/// namespaces, ten NetworkPolicies per namespace.
pub fn generate(workloads: usize, namespaces: usize, worst: bool) -> String {
    let mut rng = Lcg(7);
    let mut y = String::new();
    for n in 0..namespaces {
        let env = ["prod", "staging", "dev"][n % 3];
        writeln!(
            y,
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n  labels:\n    team: t{}\n    env: {env}",
            ns_name(n),
            n % 10
        )
        .unwrap();
    }
    let per_ns = workloads / namespaces;
    for i in 0..workloads {
        let n = i / per_ns;
        let tier = TIERS[i % TIERS.len()];
        let version = i % 3;
        let (kind, api, template_indent) = match i % 20 {
            0..=11 => ("Deployment", "apps/v1", "spec:\n  replicas: 2\n  template:"),
            12..=14 => ("StatefulSet", "apps/v1", "spec:\n  template:"),
            15 => ("DaemonSet", "apps/v1", "spec:\n  template:"),
            16 => ("Job", "batch/v1", "spec:\n  template:"),
            17 => (
                "CronJob",
                "batch/v1",
                "spec:\n  schedule: '@hourly'\n  jobTemplate:\n    spec:\n      template:",
            ),
            _ => ("Pod", "v1", ""),
        };
        let port = match tier {
            "web" => 8080,
            "api" => 8443,
            "db" => 5432,
            "cache" => 6379,
            _ => 9000,
        };
        let pad = match kind {
            "Pod" => "",
            "CronJob" => "        ",
            _ => "    ",
        };
        let labels = |pad: &str| {
            format!(
                "{pad}  labels:\n{pad}    app: app-{i:04}\n{pad}    tier: {tier}\n{pad}    version: v{version}\n{pad}    team: t{}\n",
                n % 10
            )
        };
        let pod_spec = |pad: &str| {
            format!(
                "{pad}spec:\n{pad}  containers:\n{pad}  - name: main\n{pad}    image: registry.example/app@sha256:0\n{pad}    ports:\n{pad}    - name: serve\n{pad}      containerPort: {port}\n{pad}    - name: metrics\n{pad}      containerPort: 9090\n"
            )
        };
        write!(y, "---\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: w{i:04}-{tier}\n  namespace: {}\n", ns_name(n)).unwrap();
        if kind == "Pod" {
            y.push_str(&labels(""));
            y.push_str(&pod_spec(""));
        } else {
            writeln!(y, "{template_indent}").unwrap();
            writeln!(y, "{pad}metadata:").unwrap();
            y.push_str(&labels(pad));
            y.push_str(&pod_spec(pad));
        }
    }
    let mut app = 0usize;
    for n in 0..namespaces {
        let ns = ns_name(n);
        let mut p = Vec::new();
        // 1. default deny both ways
        p.push("  podSelector: {}\n  policyTypes: [Ingress, Egress]".to_string());
        // 2. web tier from the internet, except private ranges
        p.push("  podSelector:\n    matchLabels: {tier: web}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n        except: [10.0.0.0/8, 192.168.0.0/16]\n    ports:\n    - port: serve".to_string());
        // 3. api from web in the namespace, named port
        p.push("  podSelector:\n    matchLabels: {tier: api}\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels: {tier: web}\n    ports:\n    - port: serve\n      protocol: TCP".to_string());
        // 4. db from api of the same team (any namespace)
        p.push(format!("  podSelector:\n    matchLabels: {{tier: db}}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels: {{team: t{}}}\n      podSelector:\n        matchLabels: {{tier: api}}\n    ports:\n    - port: 5432", n % 10));
        // 5. cache from api and web of prod namespaces, some versions
        p.push("  podSelector:\n    matchLabels: {tier: cache}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchExpressions:\n        - {key: env, operator: In, values: [prod, staging]}\n      podSelector:\n        matchExpressions:\n        - {key: tier, operator: In, values: [api, web]}\n        - {key: version, operator: NotIn, values: [v0]}\n    ports:\n    - port: 6379".to_string());
        // 6. egress DNS to kube-system, everyone
        p.push("  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels: {kubernetes.io/metadata.name: kube-system}\n    ports:\n    - {port: 53, protocol: UDP}\n    - {port: 53, protocol: TCP}".to_string());
        // 7. egress from web to api of prod namespaces
        p.push("  podSelector:\n    matchLabels: {tier: web}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels: {env: prod}\n      podSelector:\n        matchLabels: {tier: api}\n    ports:\n    - port: serve".to_string());
        // 8. egress from api to db and cache anywhere, and a partner network
        p.push(format!("  podSelector:\n    matchLabels: {{tier: api}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {{}}\n      podSelector:\n        matchExpressions:\n        - {{key: tier, operator: In, values: [db, cache]}}\n  - to:\n    - ipBlock:\n        cidr: 10.{}.0.0/16\n        except: [10.{}.{}.0/24]\n    ports:\n    - port: 443", n, n, rng.below(200)));
        // 9. workers: metrics scraping from a monitoring namespace, port range
        p.push("  podSelector:\n    matchExpressions:\n    - {key: tier, operator: In, values: [worker]}\n    - {key: legacy, operator: DoesNotExist}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchExpressions:\n        - {key: team, operator: Exists}\n      podSelector:\n        matchLabels: {tier: web}\n    ports:\n    - {port: 9000, endPort: 9100}".to_string());
        // 10. a targeted rule: by app labels in the worst case, else by version
        if worst {
            // One peer per workload: every workload matches a peer no other does.
            let per = workloads / namespaces;
            let mut spec = String::from(
                "  podSelector:\n    matchLabels: {tier: worker}\n  ingress:\n  - from:\n",
            );
            for k in 0..per {
                writeln!(
                    spec,
                    "    - namespaceSelector: {{}}\n      podSelector:\n        matchLabels: {{app: app-{:04}}}",
                    (app + k) % workloads
                )
                .unwrap();
            }
            spec.push_str("    ports:\n    - port: metrics");
            app += per;
            p.push(spec);
        } else {
            p.push("  podSelector:\n    matchLabels: {version: v2}\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels: {version: v1}\n    ports:\n    - port: metrics".to_string());
        }
        assert_eq!(p.len(), POLICIES_PER_NS);
        for (k, spec) in p.iter().enumerate() {
            writeln!(y, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np-{k}\n  namespace: {ns}\nspec:\n{spec}").unwrap();
        }
    }
    y
}
