//! A generated cluster, for benchmarks and scale tests: namespaces, service accounts, roles,
//! bindings, workloads of every kind, Services and Ingresses, with a realistic sprinkling of
//! the misconfigurations the graph follows (privileged pods, hostPaths, runtime sockets,
//! secret readers, exec rights, pod creators, binders, impersonators...).
//!
//! Deterministic: the same arguments give the same YAML.

use std::fmt::Write as _;

/// splitmix64: small, fast, good enough for test data.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// Rule templates: (weight ‰, rules as flow YAML). The first ones are the common, harmless ones.
const RULES: [(u64, &str); 16] = [
    (
        300,
        r#"{apiGroups: [""], resources: [pods, services, configmaps], verbs: [get, list, watch]}"#,
    ),
    (
        120,
        r#"{apiGroups: [apps], resources: [deployments, statefulsets], verbs: [get, list, watch]}"#,
    ),
    (
        90,
        r#"{apiGroups: [apps], resources: [deployments], verbs: [create, update, patch]}"#,
    ),
    (
        60,
        r#"{apiGroups: [""], resources: [pods/exec, pods/attach], verbs: [create]}"#,
    ),
    (
        60,
        r#"{apiGroups: [""], resources: [secrets], verbs: [get, list]}"#,
    ),
    (
        60,
        r#"{apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [app-tls, db-password]}"#,
    ),
    (
        50,
        r#"{apiGroups: [""], resources: [pods/log], verbs: [get]}"#,
    ),
    (
        50,
        r#"{apiGroups: [""], resources: [pods], verbs: [create, delete]}"#,
    ),
    (
        40,
        r#"{apiGroups: [batch], resources: [jobs, cronjobs], verbs: [create, patch]}"#,
    ),
    (
        30,
        r#"{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}"#,
    ),
    (
        30,
        r#"{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}"#,
    ),
    (
        30,
        r#"{apiGroups: [rbac.authorization.k8s.io], resources: [roles, clusterroles], verbs: [bind], resourceNames: [edit-ish]}"#,
    ),
    (
        25,
        r#"{apiGroups: [""], resources: [pods], verbs: [patch]}"#,
    ),
    (
        20,
        r#"{apiGroups: [""], resources: [nodes/proxy], verbs: [get]}"#,
    ),
    (
        15,
        r#"{apiGroups: [""], resources: [users, groups, serviceaccounts], verbs: [impersonate]}"#,
    ),
    (10, r#"{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}"#),
];

const HOST_PATHS: [&str; 8] = [
    "/var/log",
    "/etc",
    "/",
    "/var/lib/kubelet",
    "/run/containerd/containerd.sock",
    "/data",
    "/proc",
    "/var/run/docker.sock",
];

fn rule(rng: &mut Rng) -> &'static str {
    let total: u64 = RULES.iter().map(|(w, _)| w).sum();
    let mut x = rng.next() % total;
    for (w, r) in RULES {
        if x < w {
            return r;
        }
        x -= w;
    }
    RULES[0].1
}

/// A cluster of `pods` workloads, `sas` service accounts, `bindings` bindings and `roles`
/// roles, as multi-document YAML.
pub fn synthetic_cluster(
    seed: u64,
    pods: usize,
    sas: usize,
    bindings: usize,
    roles: usize,
) -> String {
    let mut rng = Rng(seed ^ 0x6b75_6265_7761_7264);
    let mut out = String::with_capacity(pods * 700 + bindings * 300 + roles * 250);
    let namespaces = (pods / 100).max(1);
    let nodes = (pods / 200).max(1);
    let ns = |i: usize| format!("ns-{i}");

    for i in 0..namespaces {
        if rng.chance(200) {
            let _ = write!(
                out,
                "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {}, labels: {{pod-security.kubernetes.io/enforce: restricted}}}}\n",
                ns(i)
            );
        } else {
            let _ = write!(
                out,
                "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {}}}\n",
                ns(i)
            );
        }
    }
    // Service accounts: sa-i in ns-(i % namespaces).
    let sas = sas.max(1);
    for i in 0..sas {
        let auto = if rng.chance(200) {
            "\nautomountServiceAccountToken: false"
        } else {
            ""
        };
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: sa-{i}, namespace: {}}}{auto}\n",
            ns(i % namespaces)
        );
    }
    let sa_in = |rng: &mut Rng, n: usize| -> String {
        // A service account of namespace n (sa-k with k % namespaces == n), or `default`.
        let per_ns = sas / namespaces;
        if per_ns == 0 || rng.chance(100) {
            "default".to_string()
        } else {
            format!("sa-{}", n + namespaces * rng.below(per_ns))
        }
    };

    // Roles: 85% namespaced, 15% ClusterRoles (`cr-k`); one ClusterRole is `edit-ish`.
    let roles = roles.max(2);
    let cluster_roles = (roles * 15 / 100).max(1);
    let _ = write!(
        out,
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: edit-ish}}\nrules:\n- {}\n- {}\n",
        RULES[3].1, RULES[4].1
    );
    for k in 0..cluster_roles {
        let _ = write!(
            out,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: cr-{k}}}\nrules:\n"
        );
        for _ in 0..1 + rng.below(4) {
            let _ = writeln!(out, "- {}", rule(&mut rng));
        }
    }
    let ns_roles = roles - cluster_roles;
    for k in 0..ns_roles {
        let _ = write!(
            out,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: role-{k}, namespace: {}}}\nrules:\n",
            ns(k % namespaces)
        );
        for _ in 0..1 + rng.below(4) {
            let _ = writeln!(out, "- {}", rule(&mut rng));
        }
    }

    // Bindings: 90% RoleBindings, 10% ClusterRoleBindings.
    for b in 0..bindings {
        let cluster = rng.chance(100);
        let n = rng.below(namespaces);
        let mut subjects = String::new();
        for _ in 0..1 + rng.below(3) {
            let x = rng.below(100);
            if x < 75 {
                let sns = if cluster { rng.below(namespaces) } else { n };
                let _ = write!(
                    subjects,
                    "{{kind: ServiceAccount, name: {}, namespace: {}}}, ",
                    sa_in(&mut rng, sns),
                    ns(sns)
                );
            } else if x < 90 {
                let _ = write!(subjects, "{{kind: User, name: user-{}}}, ", rng.below(200));
            } else if x < 99 {
                let _ = write!(subjects, "{{kind: Group, name: group-{}}}, ", rng.below(20));
            } else {
                subjects.push_str("{kind: Group, name: \"system:serviceaccounts:");
                subjects.push_str(&ns(n));
                subjects.push_str("\"}, ");
            }
        }
        let subjects = subjects.trim_end_matches(", ");
        if cluster {
            let _ = write!(
                out,
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: crb-{b}}}\nsubjects: [{subjects}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr-{}}}\n",
                rng.below(cluster_roles)
            );
        } else {
            let per_ns = ns_roles / namespaces;
            let role_ref = if per_ns > 0 && rng.chance(800) {
                format!(
                    "kind: Role, name: role-{}",
                    n + namespaces * rng.below(per_ns)
                )
            } else {
                format!("kind: ClusterRole, name: cr-{}", rng.below(cluster_roles))
            };
            let _ = write!(
                out,
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: rb-{b}, namespace: {}}}\nsubjects: [{subjects}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, {role_ref}}}\n",
                ns(n)
            );
        }
    }

    // Workloads.
    for w in 0..pods {
        let n = rng.below(namespaces);
        let kind = match rng.below(100) {
            0..=59 => "Deployment",
            60..=69 => "StatefulSet",
            70..=71 => "DaemonSet",
            72..=79 => "Job",
            80..=84 => "CronJob",
            _ => "Pod",
        };
        let group = match kind {
            "Pod" => "v1",
            "Job" | "CronJob" => "batch/v1",
            _ => "apps/v1",
        };
        let name = format!("w-{w}");
        let mut spec = String::new();
        let _ = writeln!(spec, "serviceAccountName: {}", sa_in(&mut rng, n));
        if rng.chance(300) {
            spec.push_str("automountServiceAccountToken: false\n");
        }
        if kind != "DaemonSet" && rng.chance(50) {
            let _ = writeln!(spec, "nodeName: node-{}", rng.below(nodes));
        }
        if rng.chance(10) {
            spec.push_str("hostPID: true\n");
        }
        let host = rng
            .chance(30)
            .then(|| HOST_PATHS[rng.below(HOST_PATHS.len())]);
        let secret = rng.chance(100);
        if host.is_some() || secret {
            spec.push_str("volumes:\n");
            if let Some(p) = host {
                let _ = writeln!(spec, "- {{name: host, hostPath: {{path: {p}}}}}");
            }
            if secret {
                let _ = writeln!(
                    spec,
                    "- {{name: creds, secret: {{secretName: {}-creds}}}}",
                    name
                );
            }
        }
        if rng.chance(200) {
            spec.push_str("initContainers:\n- {name: init, image: busybox:1.36}\n");
        }
        spec.push_str("containers:\n");
        for c in 0..1 + rng.below(2) {
            let _ = write!(
                spec,
                "- name: c{c}\n  image: registry.example.com/{name}:{c}\n"
            );
            let mut sc: Vec<&str> = Vec::new();
            if rng.chance(20) {
                sc.push("privileged: true");
            }
            if rng.chance(10) {
                sc.push("capabilities: {add: [SYS_ADMIN, SYS_PTRACE]}");
            }
            if rng.chance(10) {
                sc.push("runAsUser: 0");
            }
            if !sc.is_empty() {
                let _ = writeln!(spec, "  securityContext: {{{}}}", sc.join(", "));
            }
            let mut mounts = Vec::new();
            if host.is_some() && c == 0 {
                mounts.push(format!(
                    "{{name: host, mountPath: /host, readOnly: {}}}",
                    rng.chance(500)
                ));
            }
            if secret {
                mounts.push("{name: creds, mountPath: /creds}".to_string());
            }
            if !mounts.is_empty() {
                let _ = writeln!(spec, "  volumeMounts: [{}]", mounts.join(", "));
            }
            if rng.chance(100) {
                let _ = writeln!(
                    spec,
                    "  env: [{{name: DB, valueFrom: {{secretKeyRef: {{name: db-password, key: pw}}}}}}]"
                );
            }
        }
        let indent = match kind {
            "Pod" => "",
            "CronJob" => "        ",
            _ => "    ",
        };
        let spec: String = spec.lines().map(|l| format!("{indent}  {l}\n")).collect();
        let _ = write!(
            out,
            "---\napiVersion: {group}\nkind: {kind}\nmetadata: {{name: {name}, namespace: {}}}\n",
            ns(n)
        );
        match kind {
            "Pod" => {
                let _ = write!(out, "spec:\n{spec}");
            }
            "CronJob" => {
                let _ = write!(
                    out,
                    "spec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        metadata: {{labels: {{app: {name}}}}}\n        spec:\n{spec}"
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "spec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n{spec}"
                );
            }
        }
        // Exposure.
        if kind != "Pod" && kind != "Job" && kind != "CronJob" && rng.chance(80) {
            let ty = if rng.chance(500) {
                "LoadBalancer"
            } else {
                "NodePort"
            };
            let _ = write!(
                out,
                "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {}}}\nspec: {{type: {ty}, selector: {{app: {name}}}, ports: [{{port: 80}}]}}\n",
                ns(n)
            );
        } else if kind == "Deployment" && rng.chance(40) {
            let _ = write!(
                out,
                "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{selector: {{app: {name}}}, ports: [{{port: 80}}]}}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  rules:\n  - http:\n      paths:\n      - {{path: /, pathType: Prefix, backend: {{service: {{name: {name}, port: {{number: 80}}}}}}}}\n",
                ns = ns(n)
            );
        }
    }
    // A few kube-system secrets some pods mount.
    for i in 0..3 {
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Secret\nmetadata: {{name: ks-{i}, namespace: kube-system}}\ntype: Opaque\n"
        );
    }
    out
}
