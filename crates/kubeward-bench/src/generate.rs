//! A deterministic generator of realistic multi-document Kubernetes YAML.
//!
//! Objects come in application groups (ServiceAccount, Deployment, Service, ConfigMap, Role,
//! RoleBinding, NetworkPolicy), with a Namespace per team and a ClusterRole/ClusterRoleBinding
//! now and then. A share of them is insecure the usual ways: privileged containers, hostPath
//! mounts, host namespaces, no resource limits, `latest` tags, credentials in env and ConfigMaps,
//! NodePort services, wildcard RBAC.

use crate::Rng;
use std::fmt::Write as _;

const WORDS: [&str; 24] = [
    "cart",
    "checkout",
    "payment",
    "ledger",
    "search",
    "catalog",
    "ads",
    "email",
    "shipping",
    "currency",
    "auth",
    "profile",
    "inventory",
    "reviews",
    "gateway",
    "billing",
    "notify",
    "metrics",
    "orders",
    "quotes",
    "images",
    "session",
    "report",
    "audit",
];
const REGISTRIES: [&str; 4] = [
    "registry.example.com/shop",
    "gcr.io/acme-prod",
    "docker.io/library",
    "quay.io/acme",
];
const SIDECARS: [&str; 5] = [
    "envoy",
    "fluent-bit",
    "oauth2-proxy",
    "statsd",
    "vault-agent",
];

/// Streams objects as YAML documents.
#[derive(Debug)]
pub struct Generator {
    rng: Rng,
    /// Objects written so far.
    pub objects: u64,
    group: u64,
    /// Objects of the current group still to write, in reverse order.
    pending: Vec<Kind>,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Namespace,
    ServiceAccount,
    Deployment,
    Service,
    ConfigMap,
    Role,
    RoleBinding,
    NetworkPolicy,
    ClusterRole,
    ClusterRoleBinding,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: Rng::new(seed),
            objects: 0,
            group: 0,
            pending: Vec::new(),
        }
    }

    fn refill(&mut self) {
        use Kind::*;
        let g = self.group;
        self.group += 1;
        let mut kinds = Vec::with_capacity(10);
        if g.is_multiple_of(10) {
            kinds.push(Namespace);
        }
        kinds.extend([
            ServiceAccount,
            Deployment,
            Service,
            ConfigMap,
            Role,
            RoleBinding,
            NetworkPolicy,
        ]);
        if g % 5 == 4 {
            kinds.extend([ClusterRole, ClusterRoleBinding]);
        }
        kinds.reverse();
        self.pending = kinds;
    }

    /// Appends the next object (with its leading `---`) to `out`.
    pub fn next_object(&mut self, out: &mut String) {
        if self.pending.is_empty() {
            self.refill();
        }
        let kind = self.pending.pop().unwrap_or(Kind::ConfigMap);
        let g = self.group - 1;
        let app = format!("{}-{}", WORDS[(g % WORDS.len() as u64) as usize], g);
        let ns = format!("team-{}", g / 10);
        out.push_str("---\n");
        match kind {
            Kind::Namespace => self.namespace(out, &ns),
            Kind::ServiceAccount => self.service_account(out, &app, &ns),
            Kind::Deployment => self.deployment(out, &app, &ns),
            Kind::Service => self.service(out, &app, &ns),
            Kind::ConfigMap => self.config_map(out, &app, &ns),
            Kind::Role => self.role(out, &app, &ns),
            Kind::RoleBinding => self.role_binding(out, &app, &ns),
            Kind::NetworkPolicy => self.network_policy(out, &app, &ns),
            Kind::ClusterRole => self.cluster_role(out, &app),
            Kind::ClusterRoleBinding => self.cluster_role_binding(out, &app, &ns),
        }
        self.objects += 1;
    }

    fn labels(&mut self, out: &mut String, indent: &str, app: &str) {
        let _ = writeln!(out, "{indent}labels:");
        let _ = writeln!(out, "{indent}  app.kubernetes.io/name: {app}");
        let _ = writeln!(out, "{indent}  app.kubernetes.io/part-of: shop");
        if self.rng.chance(60) {
            let _ = writeln!(out, "{indent}  app.kubernetes.io/managed-by: helm");
            let _ = writeln!(
                out,
                "{indent}  helm.sh/chart: {app}-1.{}.0",
                self.rng.below(20)
            );
        }
    }

    fn namespace(&mut self, out: &mut String, ns: &str) {
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    team: {ns}\n"
        );
        if self.rng.chance(50) {
            out.push_str("    pod-security.kubernetes.io/enforce: restricted\n");
        }
    }

    fn service_account(&mut self, out: &mut String, app: &str, ns: &str) {
        let _ = write!(
            out,
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {app}\n  namespace: {ns}\n"
        );
        self.labels(out, "  ", app);
        if self.rng.chance(40) {
            out.push_str("automountServiceAccountToken: false\n");
        }
    }

    fn deployment(&mut self, out: &mut String, app: &str, ns: &str) {
        let r = &mut self.rng;
        let insecure = r.chance(30);
        let _ = write!(
            out,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}\n  namespace: {ns}\n"
        );
        self.labels(out, "  ", app);
        let r = &mut self.rng;
        let _ = write!(
            out,
            "  annotations:\n    deployment.kubernetes.io/revision: \"{}\"\n    kubernetes.io/change-cause: rollout of build {}\nspec:\n  replicas: {}\n  revisionHistoryLimit: 5\n  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 0\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n        tier: {}\n      annotations:\n        prometheus.io/scrape: \"true\"\n        prometheus.io/port: \"9090\"\n    spec:\n      serviceAccountName: {app}\n",
            1 + r.below(40),
            r.next_u64() % 100_000,
            1 + r.below(5),
            r.pick(&["frontend", "backend", "worker"]),
        );
        if !insecure || r.chance(50) {
            out.push_str("      automountServiceAccountToken: false\n");
        }
        if insecure && r.chance(30) {
            out.push_str("      hostNetwork: true\n");
        }
        if insecure && r.chance(20) {
            out.push_str("      hostPID: true\n");
        }
        if !insecure || r.chance(30) {
            let _ = write!(
                out,
                "      securityContext:\n        runAsNonRoot: true\n        runAsUser: {}\n        fsGroup: 2000\n        seccompProfile:\n          type: RuntimeDefault\n",
                10000 + r.below(1000)
            );
        }
        if r.chance(30) {
            out.push_str("      nodeSelector:\n        kubernetes.io/os: linux\n");
        }
        if r.chance(20) {
            out.push_str("      tolerations:\n      - key: dedicated\n        operator: Equal\n        value: shop\n        effect: NoSchedule\n");
        }
        out.push_str("      containers:\n");
        let n = 2 + r.below(3);
        for i in 0..n {
            self.container(out, app, i, insecure);
        }
        let r = &mut self.rng;
        let _ = write!(
            out,
            "      volumes:\n      - name: config\n        configMap:\n          name: {app}-config\n      - name: tmp\n        emptyDir: {{}}\n"
        );
        if insecure && r.chance(50) {
            let path = r.pick(&["/var/run/docker.sock", "/", "/etc", "/var/log", "/proc"]);
            let _ = write!(
                out,
                "      - name: host\n        hostPath:\n          path: {path}\n"
            );
        }
        if r.chance(30) {
            let _ = write!(
                out,
                "      - name: creds\n        secret:\n          secretName: {app}-creds\n"
            );
        }
    }

    fn container(&mut self, out: &mut String, app: &str, i: usize, insecure: bool) {
        let r = &mut self.rng;
        let name = if i == 0 {
            app.to_string()
        } else {
            r.pick(&SIDECARS).to_string()
        };
        let reg = r.pick(&REGISTRIES);
        let tag = if insecure && r.chance(30) {
            "latest".to_string()
        } else if r.chance(5) {
            "sha256-pinned".to_string()
        } else {
            format!("{}.{}.{}", 1 + r.below(3), r.below(20), r.below(10))
        };
        let image = if tag == "sha256-pinned" {
            format!(
                "{reg}/{name}@sha256:{:016x}{:016x}{:016x}{:016x}",
                r.next_u64(),
                r.next_u64(),
                r.next_u64(),
                r.next_u64()
            )
        } else if insecure && r.chance(10) {
            // No tag at all.
            format!("{reg}/{name}")
        } else {
            format!("{reg}/{name}:{tag}")
        };
        let port = 8080 + i;
        let _ = write!(
            out,
            "      - name: {name}\n        image: {image}\n        imagePullPolicy: {}\n",
            r.pick(&["IfNotPresent", "Always", "IfNotPresent"])
        );
        if i == 0 || r.chance(30) {
            let _ = write!(
                out,
                "        args:\n        - --port={port}\n        - --log-format=json\n"
            );
        }
        let _ = write!(
            out,
            "        ports:\n        - name: http-{i}\n          containerPort: {port}\n          protocol: TCP\n"
        );
        if insecure && r.chance(10) {
            let _ = writeln!(out, "          hostPort: {port}");
        }
        out.push_str("        env:\n        - name: LOG_LEVEL\n          value: info\n        - name: POD_NAME\n          valueFrom:\n            fieldRef:\n              fieldPath: metadata.name\n");
        if insecure && r.chance(40) {
            let key = r.pick(&[
                "DB_PASSWORD",
                "API_TOKEN",
                "AWS_SECRET_ACCESS_KEY",
                "SECRET_KEY",
            ]);
            let _ = write!(
                out,
                "        - name: {key}\n          value: s3cr3t-{:x}\n",
                r.next_u64() % 0xffff_ffff
            );
        } else if r.chance(50) {
            let _ = write!(
                out,
                "        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef:\n              name: {app}-creds\n              key: password\n"
            );
        }
        if !insecure || r.chance(40) {
            let _ = write!(
                out,
                "        resources:\n          requests:\n            cpu: {}m\n            memory: {}Mi\n          limits:\n            cpu: {}m\n            memory: {}Mi\n",
                50 * (1 + r.below(8)),
                64 * (1 + r.below(8)),
                500 * (1 + r.below(4)),
                256 * (1 + r.below(4))
            );
        } else if r.chance(50) {
            out.push_str("        resources:\n          requests:\n            cpu: 100m\n");
        }
        if insecure {
            out.push_str("        securityContext:\n");
            if r.chance(40) {
                out.push_str("          privileged: true\n");
            }
            if r.chance(40) {
                out.push_str("          allowPrivilegeEscalation: true\n");
            }
            if r.chance(30) {
                let cap = r.pick(&["SYS_ADMIN", "NET_ADMIN", "NET_RAW", "SYS_PTRACE"]);
                let _ = write!(
                    out,
                    "          capabilities:\n            add:\n            - {cap}\n"
                );
            }
            if r.chance(30) {
                out.push_str("          runAsUser: 0\n");
            }
            out.push_str("          readOnlyRootFilesystem: false\n");
        } else {
            out.push_str("        securityContext:\n          allowPrivilegeEscalation: false\n          readOnlyRootFilesystem: true\n          runAsNonRoot: true\n          capabilities:\n            drop:\n            - ALL\n");
        }
        if i == 0 || r.chance(50) {
            let _ = write!(
                out,
                "        livenessProbe:\n          httpGet:\n            path: /healthz\n            port: {port}\n          initialDelaySeconds: 10\n          periodSeconds: 10\n        readinessProbe:\n          httpGet:\n            path: /ready\n            port: {port}\n          periodSeconds: 5\n"
            );
        }
        out.push_str("        volumeMounts:\n        - name: config\n          mountPath: /etc/app\n          readOnly: true\n        - name: tmp\n          mountPath: /tmp\n");
    }

    fn service(&mut self, out: &mut String, app: &str, ns: &str) {
        let r = &mut self.rng;
        let node_port = r.chance(20);
        let lb = !node_port && r.chance(10);
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\n  namespace: {ns}\n"
        );
        self.labels(out, "  ", app);
        let r = &mut self.rng;
        let ty = if node_port {
            "NodePort"
        } else if lb {
            "LoadBalancer"
        } else {
            "ClusterIP"
        };
        let _ = write!(
            out,
            "spec:\n  type: {ty}\n  selector:\n    app: {app}\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n    protocol: TCP\n"
        );
        if node_port {
            let _ = writeln!(out, "    nodePort: {}", 30000 + r.below(2767));
        }
    }

    fn config_map(&mut self, out: &mut String, app: &str, ns: &str) {
        let _ = write!(
            out,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}-config\n  namespace: {ns}\n"
        );
        self.labels(out, "  ", app);
        let r = &mut self.rng;
        let _ = write!(
            out,
            "data:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"checkout-v2,fast-search\"\n  CACHE_TTL: \"{}\"\n  app.properties: |\n    server.port=8080\n    db.host={app}-db.{ns}.svc.cluster.local\n    db.pool.size={}\n    metrics.enabled=true\n",
            60 * (1 + r.below(10)),
            5 + r.below(20)
        );
        if r.chance(15) {
            let _ = writeln!(
                out,
                "  DB_PASSWORD: \"Pa55w0rd-{:x}\"",
                r.next_u64() % 0xffff_ffff
            );
        }
        if r.chance(10) {
            let _ = writeln!(
                out,
                "  aws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCY{:08X}",
                r.next_u64() % 0xffff_ffff
            );
        }
    }

    fn role(&mut self, out: &mut String, app: &str, ns: &str) {
        let r = &mut self.rng;
        let _ = write!(
            out,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {app}\n  namespace: {ns}\nrules:\n- apiGroups: [\"\"]\n  resources: [\"configmaps\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n"
        );
        if r.chance(20) {
            out.push_str(
                "- apiGroups: [\"\"]\n  resources: [\"secrets\"]\n  verbs: [\"get\", \"list\"]\n",
            );
        }
        if r.chance(10) {
            out.push_str("- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n");
        }
        if r.chance(10) {
            out.push_str(
                "- apiGroups: [\"\"]\n  resources: [\"pods/exec\"]\n  verbs: [\"create\"]\n",
            );
        }
    }

    fn role_binding(&mut self, out: &mut String, app: &str, ns: &str) {
        let _ = write!(
            out,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {app}\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {app}\nsubjects:\n- kind: ServiceAccount\n  name: {app}\n  namespace: {ns}\n"
        );
        if self.rng.chance(5) {
            out.push_str("- kind: Group\n  apiGroup: rbac.authorization.k8s.io\n  name: system:authenticated\n");
        }
    }

    fn network_policy(&mut self, out: &mut String, app: &str, ns: &str) {
        let r = &mut self.rng;
        if r.chance(30) {
            let _ = write!(
                out,
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-{app}\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n  - Ingress\n  - Egress\n"
            );
        } else {
            let _ = write!(
                out,
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {app}-ingress\n  namespace: {ns}\nspec:\n  podSelector:\n    matchLabels:\n      app: {app}\n  policyTypes:\n  - Ingress\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          tier: frontend\n    - namespaceSelector:\n        matchLabels:\n          team: {ns}\n    ports:\n    - protocol: TCP\n      port: 8080\n"
            );
            if r.chance(10) {
                out.push_str("  - from:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n");
            }
        }
    }

    fn cluster_role(&mut self, out: &mut String, app: &str) {
        let r = &mut self.rng;
        let _ = write!(
            out,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {app}-reader\nrules:\n- apiGroups: [\"\"]\n  resources: [\"nodes\", \"namespaces\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n"
        );
        if r.chance(30) {
            out.push_str("- apiGroups: [\"\"]\n  resources: [\"secrets\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n");
        }
        if r.chance(15) {
            out.push_str("- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n");
        }
        if r.chance(10) {
            out.push_str("- apiGroups: [\"rbac.authorization.k8s.io\"]\n  resources: [\"clusterroles\"]\n  verbs: [\"bind\", \"escalate\"]\n");
        }
    }

    fn cluster_role_binding(&mut self, out: &mut String, app: &str, ns: &str) {
        let _ = write!(
            out,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {app}-reader\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {app}-reader\nsubjects:\n- kind: ServiceAccount\n  name: {app}\n  namespace: {ns}\n"
        );
    }
}

/// `n` objects as one multi-document YAML text.
pub fn yaml(seed: u64, n: u64) -> String {
    let mut g = Generator::new(seed);
    let mut out = String::with_capacity(n as usize * 900);
    for _ in 0..n {
        g.next_object(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_load::{Loaded, Options, load_bytes};

    #[test]
    fn generated_yaml_loads_cleanly_and_deterministically() {
        let text = yaml(7, 500);
        assert_eq!(text, yaml(7, 500));
        let mut out = Loaded::default();
        load_bytes(
            "gen.yaml".into(),
            text.as_bytes(),
            false,
            &Options::default(),
            &mut out,
        );
        assert!(out.errors.is_empty(), "{:?}", &out.errors[..1]);
        assert!(out.notes.is_empty(), "{:?}", out.notes.first());
        assert_eq!(out.objects.len(), 500);
        let kinds: std::collections::BTreeSet<&str> =
            out.objects.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(kinds.len(), 10, "{kinds:?}");
    }
}
