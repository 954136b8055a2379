//! The fixture server against a real TLS client, compared with the responses recorded from a
//! real kube-apiserver v1.26.5 (`/work/shared/data/apiserver-recordings`; these tests fail, not
//! skip, when that directory is missing).

use kubeward_fixture_api::{
    ADMIN_TOKEN, FixtureConfig, FixtureServer, Identity, KubeconfigContext,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RECORDINGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/apiserver-recordings"
);

fn recording(name: &str) -> String {
    std::fs::read_to_string(format!("{RECORDINGS}/{name}"))
        .unwrap_or_else(|e| panic!("recording {name} must exist ({RECORDINGS}): {e}"))
}

fn recording_json(name: &str) -> Value {
    serde_json::from_str(&recording(name)).unwrap()
}

/// A response.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: hyper::HeaderMap,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A minimal HTTPS client: rustls (ring) trusting the server CA, optional client certificate,
/// HTTP/1.1 or (negotiated with ALPN, as client-go does) HTTP/2.
struct Client {
    addr: std::net::SocketAddr,
    tls: tokio_rustls::TlsConnector,
    token: Option<String>,
    http2: bool,
}

impl Client {
    fn config(server: &FixtureServer, cert: Option<(String, String)>) -> rustls::ClientConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(server.ca_pem().as_bytes()).unwrap())
            .unwrap();
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        match cert {
            Some((cert, key)) => builder
                .with_client_auth_cert(
                    vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
                    PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
                )
                .unwrap(),
            None => builder.with_no_client_auth(),
        }
    }

    fn new(server: &FixtureServer, token: Option<&str>, cert: Option<(String, String)>) -> Client {
        Client {
            addr: server.addr(),
            tls: tokio_rustls::TlsConnector::from(Arc::new(Client::config(server, cert))),
            token: token.map(str::to_string),
            http2: false,
        }
    }

    fn admin(server: &FixtureServer) -> Client {
        Client::new(server, Some(ADMIN_TOKEN), None)
    }

    fn admin_h2(server: &FixtureServer) -> Client {
        let mut config = Client::config(server, None);
        config.alpn_protocols = vec![b"h2".to_vec()];
        Client {
            tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
            http2: true,
            ..Client::admin(server)
        }
    }

    async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        let tcp = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let tls = self.tls.connect(name, tcp).await.unwrap();
        let mut req = hyper::Request::builder().method(method);
        req = if self.http2 {
            assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
            req.uri(format!("https://127.0.0.1{path}"))
        } else {
            req.uri(path).header("host", "127.0.0.1")
        };
        req = req.header("user-agent", "kubeward-fixture-test");
        if let Some(t) = &self.token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(http_body_util::Full::new(bytes::Bytes::from(
                body.to_string(),
            )))
            .unwrap();
        let io = hyper_util::rt::TokioIo::new(tls);
        let resp = if self.http2 {
            let (mut sender, conn) =
                hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
                    .await
                    .unwrap();
            tokio::spawn(conn);
            sender.send_request(req).await.unwrap()
        } else {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
            tokio::spawn(conn);
            sender.send_request(req).await.unwrap()
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        use http_body_util::BodyExt;
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Resp {
        self.send("GET", path, &[], "").await
    }

    async fn get_accept(&self, path: &str, accept: &str) -> Resp {
        self.send("GET", path, &[("accept", accept)], "").await
    }
}

/// The keys of a JSON object, in order.
fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Adds `kind`/`apiVersion` to the items of a recorded list, making them loadable manifests.
fn manifests_of(list: &Value, api_version: &str, kind: &str) -> Vec<Value> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let mut m = serde_json::Map::new();
            m.insert("apiVersion".into(), json!(api_version));
            m.insert("kind".into(), json!(kind));
            m.extend(item.as_object().unwrap().clone());
            Value::Object(m)
        })
        .collect()
}

/// A server holding exactly the objects of the recorded cluster's lists, at resourceVersion 301.
fn recorded_cluster() -> FixtureServer {
    let mut cfg = FixtureConfig::new()
        .resource_version(301)
        .auto_namespaces(false);
    let lists = [
        ("pods-limit2-page1.json", "v1", "Pod"),
        ("pods-limit2-page2.json", "v1", "Pod"),
        ("namespaces.json", "v1", "Namespace"),
        ("deployments.json", "apps/v1", "Deployment"),
        ("secrets-limit5.json", "v1", "Secret"),
        (
            "clusterrolebindings-limit50-page1.json",
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
        ),
    ];
    for (file, api_version, kind) in lists {
        for m in manifests_of(&recording_json(file), api_version, kind) {
            cfg = cfg.object(m);
        }
    }
    FixtureServer::start_blocking(cfg).unwrap()
}

#[test]
fn embedded_recordings_are_verbatim_copies() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_str().unwrap();
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                recording(name),
                "{name}"
            );
        }
    }
}

#[tokio::test]
async fn discovery_has_the_recorded_shapes() {
    let server = FixtureServer::start(FixtureConfig::new()).await.unwrap();
    let c = Client::admin(&server);

    let version = c.get("/version").await;
    assert_eq!(version.status, 200);
    assert_eq!(version.header("content-type"), Some("application/json"));
    assert_eq!(
        version.body,
        recording("version.json"),
        "/version is the recorded one, pretty-printed"
    );

    let api = c.get("/api").await;
    assert_eq!(keys(&api.json()), keys(&recording_json("api.json")));
    assert_eq!(
        api.json()["serverAddressByClientCIDRs"][0]["serverAddress"],
        json!(server.addr().to_string())
    );

    for (path, file) in [
        ("/api/v1", "api-v1.json"),
        ("/apis/apps/v1", "apis-apps-v1.json"),
        (
            "/apis/networking.k8s.io/v1",
            "apis-networking.k8s.io-v1.json",
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1",
            "apis-rbac.authorization.k8s.io-v1.json",
        ),
    ] {
        assert_eq!(c.get(path).await.body, recording(file), "{path}");
    }

    // /apis lists exactly the served groups, in the recorded shape.
    let apis = c.get("/apis").await.json();
    let recorded = recording_json("apis.json");
    assert_eq!(keys(&apis), keys(&recorded));
    let names: Vec<&str> = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "apps",
            "batch",
            "networking.k8s.io",
            "policy",
            "rbac.authorization.k8s.io",
            "admissionregistration.k8s.io",
            "wgpolicyk8s.io"
        ]
    );
    let recorded_group = &recorded["groups"][1];
    for g in apis["groups"].as_array().unwrap() {
        assert_eq!(keys(g), keys(recorded_group));
        assert_eq!(
            keys(&g["versions"][0]),
            keys(&recorded_group["versions"][0])
        );
        assert_eq!(
            keys(&g["preferredVersion"]),
            keys(&recorded_group["preferredVersion"])
        );
    }
    let apps_group = c.get("/apis/apps").await.json();
    assert_eq!(apps_group["kind"], "APIGroup");
    assert_eq!(
        apps_group["preferredVersion"],
        json!({"groupVersion": "apps/v1", "version": "v1"})
    );

    // Generated resource lists have the keys of the recorded ones, in the same order.
    let recorded_deploy = recording_json("apis-apps-v1.json")["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "deployments")
        .cloned()
        .unwrap();
    let recorded_status = recording_json("apis-apps-v1.json")["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "deployments/status")
        .cloned()
        .unwrap();
    let batch = c.get("/apis/batch/v1").await.json();
    assert_eq!(keys(&batch), keys(&recording_json("apis-apps-v1.json")));
    let names: Vec<&str> = batch["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]
    );
    assert_eq!(keys(&batch["resources"][0]), keys(&recorded_deploy));
    assert_eq!(keys(&batch["resources"][1]), keys(&recorded_status));
    assert_eq!(batch["resources"][0]["shortNames"], json!(["cj"]));

    let admission = c.get("/apis/admissionregistration.k8s.io/v1").await.json();
    let names: Vec<&str> = admission["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "mutatingwebhookconfigurations",
            "validatingadmissionpolicies",
            "validatingadmissionpolicies/status",
            "validatingadmissionpolicybindings",
            "validatingwebhookconfigurations"
        ]
    );
    assert_eq!(admission["resources"][0]["namespaced"], false);

    let reports = c.get("/apis/wgpolicyk8s.io/v1alpha2").await.json();
    assert_eq!(reports["resources"][1]["name"], "policyreports");
    assert_eq!(reports["resources"][1]["singularName"], "policyreport");
    assert_eq!(reports["resources"][1]["namespaced"], true);
    assert_eq!(reports["resources"][1]["shortNames"], json!(["polr"]));

    // Unknown paths: Status under a built-in web service, Go's plain 404 elsewhere.
    let r = c.get("/api/v1/foos").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"the server could not find the requested resource\",\"reason\":\"NotFound\",\"details\":{},\"code\":404}\n"
    );
    let r = c.get("/apis/example.com/v1/widgets").await;
    assert_eq!((r.status, r.body.as_str()), (404, "404 page not found\n"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
}

#[tokio::test]
async fn http2_is_negotiated_with_alpn() {
    let server = FixtureServer::start(FixtureConfig::new().yaml(many_pods(3)))
        .await
        .unwrap();
    let r = Client::admin_h2(&server).get("/api/v1/pods?limit=2").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["metadata"]["remainingItemCount"], 1);
}

#[tokio::test]
async fn version_follows_the_configured_git_version() {
    let server = FixtureServer::start(FixtureConfig::new().git_version("v1.30.2"))
        .await
        .unwrap();
    let v = Client::admin(&server).get("/version").await.json();
    assert_eq!(
        (v["major"].as_str(), v["minor"].as_str()),
        (Some("1"), Some("30"))
    );
    assert_eq!(v["gitVersion"], "v1.30.2");
}

#[tokio::test]
async fn lists_are_byte_identical_to_the_recordings() {
    let server = recorded_cluster();
    let c = Client::admin(&server);

    let page1 = c.get("/api/v1/pods?limit=2").await;
    assert_eq!(page1.body, recording("pods-limit2-page1.json"));
    let token = page1.json()["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_string();
    let page2 = c
        .get(&format!("/api/v1/pods?limit=2&continue={token}"))
        .await;
    assert_eq!(page2.body, recording("pods-limit2-page2.json"));

    assert_eq!(
        c.get("/api/v1/namespaces").await.body,
        recording("namespaces.json")
    );
    assert_eq!(
        c.get("/apis/apps/v1/deployments").await.body,
        recording("deployments.json")
    );
    assert_eq!(
        c.get("/api/v1/secrets?limit=5").await.body,
        recording("secrets-limit5.json")
    );
    assert_eq!(
        c.get("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?limit=50")
            .await
            .body,
        recording("clusterrolebindings-limit50-page1.json")
    );

    // A single object is the list item with kind/apiVersion in front.
    let pod = c
        .get("/api/v1/namespaces/prod/pods/node-shell")
        .await
        .json();
    assert_eq!(keys(&pod)[..3], ["kind", "apiVersion", "metadata"]);
    assert_eq!(
        pod["metadata"],
        recording_json("pods-limit2-page1.json")["items"][1]["metadata"]
    );
}

#[tokio::test]
async fn error_bodies_are_byte_identical_to_the_recordings() {
    let server = FixtureServer::start(
        recorded_cluster_config()
            .client_cert("alice", &["dev-team"])
            .forbid_in(Some("alice"), "secrets", "prod"),
    )
    .await
    .unwrap();
    let c = Client::admin(&server);

    let garbage = c
        .get("/api/v1/pods?limit=2&continue=bm90LWEtdmFsaWQtY29udGludWUtdG9rZW4")
        .await;
    assert_eq!(
        (garbage.status, garbage.body),
        (400, recording("continue-garbage.json"))
    );

    let notfound = c.get("/api/v1/namespaces/prod/pods/does-not-exist").await;
    assert_eq!(
        (notfound.status, notfound.body),
        (404, recording("notfound-pod.json"))
    );

    let bad = Client::new(&server, Some("invalid-token-0000000000000000"), None)
        .get("/api/v1/namespaces")
        .await;
    assert_eq!(
        (bad.status, bad.body),
        (401, recording("unauthorized-bad-token.json"))
    );

    let alice = Client::new(&server, None, server.client_cert_pem("alice"));
    let forbidden = alice.get("/api/v1/namespaces/prod/secrets").await;
    assert_eq!(
        (forbidden.status, forbidden.body),
        (403, recording("forbidden-alice-list-secrets-prod.json"))
    );

    // The token of page 1, after etcd compacted past its resourceVersion.
    let page1 = c.get("/api/v1/pods?limit=2").await.json();
    let token = page1["metadata"]["continue"].as_str().unwrap().to_string();
    server.compact();
    let expired = c
        .get(&format!("/api/v1/pods?limit=2&continue={token}"))
        .await;
    assert_eq!(
        (expired.status, expired.body),
        (410, recording("continue-expired.json"))
    );
    // The inconsistent-continue token it carries resumes at the latest resourceVersion.
    let new_token = expired_token(&recording_json("continue-expired.json"));
    let resumed = c
        .get(&format!("/api/v1/pods?limit=2&continue={new_token}"))
        .await
        .json();
    assert_eq!(resumed["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        resumed["items"][0]["metadata"]["name"],
        "web-76d97d774-r8qwd"
    );
}

fn expired_token(status: &Value) -> String {
    status["metadata"]["continue"].as_str().unwrap().to_string()
}

fn recorded_cluster_config() -> FixtureConfig {
    let mut cfg = FixtureConfig::new()
        .resource_version(301)
        .auto_namespaces(false);
    for m in manifests_of(&recording_json("pods-limit2-page1.json"), "v1", "Pod")
        .into_iter()
        .chain(manifests_of(
            &recording_json("pods-limit2-page2.json"),
            "v1",
            "Pod",
        ))
    {
        cfg = cfg.object(m);
    }
    cfg
}

#[tokio::test]
async fn expire_knob_answers_410_for_every_token() {
    let server = FixtureServer::start(recorded_cluster_config().expire_continue_tokens(true))
        .await
        .unwrap();
    let c = Client::admin(&server);
    let page1 = c.get("/api/v1/pods?limit=2").await.json();
    let token = page1["metadata"]["continue"].as_str().unwrap().to_string();
    let expired = c
        .get(&format!("/api/v1/pods?limit=2&continue={token}"))
        .await;
    assert_eq!(
        (expired.status, expired.body),
        (410, recording("continue-expired.json"))
    );
}

/// Pods in several namespaces, some namespaces sorting around `/` in etcd key order.
fn many_pods(n: usize) -> String {
    let mut yaml = String::new();
    for i in 0..n {
        let ns = ["a", "a-b", "b", "kube-system"][i % 4];
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i:03}\n  namespace: {ns}\nspec:\n  containers:\n  - name: c\n    image: nginx\n"
        ));
    }
    yaml
}

#[tokio::test]
async fn paged_lists_walk_every_item_in_etcd_order() {
    let server = FixtureServer::start(FixtureConfig::new().yaml(many_pods(9)))
        .await
        .unwrap();
    let c = Client::admin(&server);
    let mut seen = Vec::new();
    let mut remaining_counts = Vec::new();
    let mut token: Option<String> = None;
    let mut rvs = Vec::new();
    loop {
        let path = match &token {
            Some(t) => format!("/api/v1/pods?limit=2&continue={t}"),
            None => "/api/v1/pods?limit=2".to_string(),
        };
        let page = c.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let v = page.json();
        assert_eq!(v["kind"], "PodList");
        assert_eq!(keys(&v), ["kind", "apiVersion", "metadata", "items"]);
        rvs.push(v["metadata"]["resourceVersion"].clone());
        for item in v["items"].as_array().unwrap() {
            assert!(item.get("kind").is_none() && item.get("apiVersion").is_none());
            let m = &item["metadata"];
            seen.push(format!(
                "{}/{}",
                m["namespace"].as_str().unwrap(),
                m["name"].as_str().unwrap()
            ));
            assert_eq!(
                keys(m)[..5],
                [
                    "name",
                    "namespace",
                    "uid",
                    "resourceVersion",
                    "creationTimestamp"
                ]
            );
        }
        remaining_counts.push(v["metadata"]["remainingItemCount"].as_u64());
        match v["metadata"]["continue"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let mut expected = seen.clone();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(seen, expected);
    assert_eq!(seen.len(), 9);
    assert_eq!(
        seen[0], "a-b/pod-001",
        "etcd byte order puts a-b/ before a/"
    );
    assert_eq!(remaining_counts, [Some(7), Some(5), Some(3), Some(1), None]);
    assert!(
        rvs.windows(2).all(|w| w[0] == w[1]),
        "one resourceVersion for the whole walk"
    );

    // A namespaced list pages within its namespace.
    let ns = c.get("/api/v1/namespaces/a/pods?limit=2").await.json();
    assert_eq!(ns["metadata"]["remainingItemCount"], 1);
    let t = ns["metadata"]["continue"].as_str().unwrap();
    let decoded = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, t).unwrap(),
    )
    .unwrap();
    assert!(
        decoded.ends_with(r#""start":"pod-004\u0000"}"#),
        "{decoded}"
    );

    // The watch cache ignores limit for resourceVersion=0.
    let all = c.get("/api/v1/pods?limit=2&resourceVersion=0").await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 9);
    assert!(all["metadata"].get("continue").is_none());

    // A single object, and a missing one.
    let one = c.get("/api/v1/namespaces/b/pods/pod-002").await;
    assert_eq!(one.status, 200);
    let auto_ns = c.get("/api/v1/namespaces/a-b").await.json();
    assert_eq!(
        auto_ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "a-b"
    );
    assert_eq!(auto_ns["status"]["phase"], "Active");
}

#[tokio::test]
async fn page_size_max_caps_pages() {
    let server = FixtureServer::start(FixtureConfig::new().yaml(many_pods(5)).page_size_max(2))
        .await
        .unwrap();
    let c = Client::admin(&server);
    let v = c.get("/api/v1/pods").await.json();
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    assert_eq!(v["metadata"]["remainingItemCount"], 3);
    let v = c.get("/api/v1/pods?limit=500").await.json();
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn authentication_and_anonymous_access() {
    let server = FixtureServer::start(FixtureConfig::new().anonymous(&["/version", "/healthz*"]))
        .await
        .unwrap();
    let anon = Client::new(&server, None, None);
    let version = anon.get("/version").await;
    assert_eq!(version.status, 200);
    let denied = anon.get("/api").await;
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.json()["message"],
        "forbidden: User \"system:anonymous\" cannot get path \"/api\""
    );
    let denied = anon.get("/api/v1/namespaces").await.json();
    assert_eq!(
        denied["message"],
        "namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope"
    );
    // A bad token is never anonymous.
    let bad = Client::new(&server, Some("nope"), None)
        .get("/version")
        .await;
    assert_eq!(bad.status, 401);

    let closed = FixtureServer::start(FixtureConfig::new()).await.unwrap();
    let r = Client::new(&closed, None, None).get("/version").await;
    assert_eq!(
        (r.status, r.body),
        (401, recording("unauthorized-bad-token.json"))
    );

    let users: Vec<Option<String>> = server.requests().iter().map(|r| r.user.clone()).collect();
    assert_eq!(
        users,
        [
            Some("system:anonymous".to_string()),
            Some("system:anonymous".to_string()),
            Some("system:anonymous".to_string()),
            None
        ]
    );
}

#[tokio::test]
async fn forbidden_rules_word_denials_like_rbac() {
    let server = FixtureServer::start(
        FixtureConfig::new()
            .token("alice-token", "alice", &["dev-team"])
            .forbid_in(Some("alice"), "secrets", "prod")
            .forbid_cluster(Some("alice"), "secrets")
            .forbid_cluster(Some("dev-team"), "deployments.apps"),
    )
    .await
    .unwrap();
    let alice = Client::new(&server, Some("alice-token"), None);
    let r = alice.get("/api/v1/secrets").await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"secrets is forbidden: User \\\"alice\\\" cannot list resource \\\"secrets\\\" in API group \\\"\\\" at the cluster scope\",\"reason\":\"Forbidden\",\"details\":{\"kind\":\"secrets\"},\"code\":403}\n"
    );
    assert_eq!(
        alice.get("/api/v1/namespaces/dev/secrets").await.status,
        200
    );
    let r = alice.get("/api/v1/namespaces/prod/secrets/db").await.json();
    assert_eq!(
        r["message"],
        "secrets \"db\" is forbidden: User \"alice\" cannot get resource \"secrets\" in API group \"\" in the namespace \"prod\""
    );
    assert_eq!(r["details"], json!({"name": "db", "kind": "secrets"}));
    let r = alice.get("/apis/apps/v1/deployments").await.json();
    assert_eq!(
        r["message"],
        "deployments.apps is forbidden: User \"alice\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope"
    );
    assert_eq!(
        r["details"],
        json!({"group": "apps", "kind": "deployments"})
    );
    // The administrator is not affected.
    assert_eq!(
        Client::admin(&server).get("/api/v1/secrets").await.status,
        200
    );
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after_then_serves() {
    let server = FixtureServer::start(
        FixtureConfig::new()
            .throttle("/api/v1/pods", 2)
            .throttle_status("/api/v1/configmaps", 1)
            .fail("/api/v1/services", 503, 1)
            .fail("/api/v1/secrets", 500, 1),
    )
    .await
    .unwrap();
    let c = Client::admin(&server);
    for _ in 0..2 {
        let r = c.get("/api/v1/pods").await;
        assert_eq!(r.status, 429);
        assert_eq!(r.header("retry-after"), Some("1"));
        assert_eq!(r.body, "Too many requests, please try again later.\n");
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    }
    assert_eq!(c.get("/api/v1/pods").await.status, 200);

    let r = c.get("/api/v1/configmaps").await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    assert_eq!(
        r.body,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Too many requests, please try again later.\",\"reason\":\"TooManyRequests\",\"details\":{\"retryAfterSeconds\":1},\"code\":429}\n"
    );
    assert_eq!(c.get("/api/v1/configmaps").await.status, 200);

    let r = c.get("/api/v1/services").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["reason"], "ServiceUnavailable");
    assert_eq!(c.get("/api/v1/services").await.status, 200);
    let r = c.get("/api/v1/secrets").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["reason"], "InternalError");
    assert_eq!(c.get("/api/v1/secrets").await.status, 200);

    let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200, 429, 200, 503, 200, 500, 200]);
}

#[tokio::test]
async fn slow_prefixes_delay_responses() {
    let server =
        FixtureServer::start(FixtureConfig::new().slow("/api/v1/pods", Duration::from_millis(300)))
            .await
            .unwrap();
    let c = Client::admin(&server);
    let t = Instant::now();
    assert_eq!(c.get("/api/v1/pods").await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    let t = Instant::now();
    assert_eq!(c.get("/api/v1/services").await.status, 200);
    assert!(t.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn client_certificates_authenticate_as_their_common_name() {
    let server =
        FixtureServer::start(FixtureConfig::new().client_cert("alice", &["dev-team", "qa"]))
            .await
            .unwrap();
    let alice = Client::new(&server, None, server.client_cert_pem("alice"));
    assert_eq!(alice.get("/api/v1/namespaces").await.status, 200);
    // A certificate wins over a bad token, as in the union authenticator.
    let alice_bad_token = Client::new(&server, Some("nope"), server.client_cert_pem("alice"));
    assert_eq!(alice_bad_token.get("/api/v1/namespaces").await.status, 200);
    let reqs = server.requests();
    assert_eq!(reqs[0].user.as_deref(), Some("alice"));
    assert_eq!(reqs[0].groups, ["dev-team", "qa", "system:authenticated"]);
    assert_eq!(reqs[1].user.as_deref(), Some("alice"));
}

const SECRETS: &str = r#"
apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
  namespace: prod
data:
  password: c3VwZXItc2VjcmV0LXBhc3N3b3Jk
  username: YWRtaW4=
---
apiVersion: v1
kind: Secret
metadata:
  name: api-token
  namespace: prod
  labels: {app: api}
stringData:
  token: plain-text-token-value
type: kubernetes.io/service-account-token
"#;

#[tokio::test]
async fn secrets_as_table_or_metadata_carry_no_values() {
    let server = FixtureServer::start(FixtureConfig::new().yaml(SECRETS))
        .await
        .unwrap();
    let c = Client::admin(&server);
    let secret_values = [
        "c3VwZXItc2VjcmV0LXBhc3N3b3Jk",
        "super-secret-password",
        "YWRtaW4=",
        "plain-text-token-value",
        "cGxhaW4tdGV4dC10b2tlbi12YWx1ZQ==",
    ];

    // Full objects do carry the data (stringData merged into data, as the apiserver stores it).
    let full = c
        .get("/api/v1/namespaces/prod/secrets/api-token")
        .await
        .json();
    assert_eq!(full["data"]["token"], "cGxhaW4tdGV4dC10b2tlbi12YWx1ZQ==");
    assert!(full.get("stringData").is_none());

    let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    let r = c
        .get_accept("/api/v1/secrets?includeObject=Metadata&limit=500", accept)
        .await;
    assert_eq!(r.status, 200);
    for v in secret_values {
        assert!(!r.body.contains(v), "{v} leaked: {}", r.body);
    }
    assert!(!r.body.contains("\"data\""));
    let t = r.json();
    assert_eq!(
        keys(&t),
        [
            "kind",
            "apiVersion",
            "metadata",
            "columnDefinitions",
            "rows"
        ]
    );
    assert_eq!(
        (t["kind"].as_str(), t["apiVersion"].as_str()),
        (Some("Table"), Some("meta.k8s.io/v1"))
    );
    let columns: Vec<&str> = t["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["Name", "Type", "Data", "Age"]);
    assert_eq!(
        keys(&t["columnDefinitions"][0]),
        ["name", "type", "format", "description", "priority"]
    );
    assert_eq!(t["rows"][0]["cells"][0], "api-token");
    assert_eq!(
        t["rows"][0]["cells"][1],
        "kubernetes.io/service-account-token"
    );
    assert_eq!(t["rows"][0]["cells"][2], 1);
    assert_eq!(t["rows"][1]["cells"][2], 2);
    assert_eq!(t["rows"][1]["cells"][1], "Opaque");
    let object = &t["rows"][0]["object"];
    assert_eq!(keys(object), ["kind", "apiVersion", "metadata"]);
    assert_eq!(object["kind"], "PartialObjectMetadata");
    assert_eq!(object["metadata"]["labels"]["app"], "api");

    let r = c
        .get_accept(
            "/api/v1/namespaces/prod/secrets",
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
        )
        .await;
    for v in secret_values {
        assert!(!r.body.contains(v), "{v} leaked: {}", r.body);
    }
    let m = r.json();
    assert_eq!(
        (m["kind"].as_str(), m["apiVersion"].as_str()),
        (Some("PartialObjectMetadataList"), Some("meta.k8s.io/v1"))
    );
    assert_eq!(keys(&m["items"][0]), ["kind", "apiVersion", "metadata"]);
    assert_eq!(m["items"][1]["metadata"]["name"], "db-credentials");

    // Only alternatives the server cannot produce: 406.
    let r = c
        .get_accept("/api/v1/secrets", "application/vnd.kubernetes.protobuf")
        .await;
    assert_eq!(
        (r.status, r.json()["reason"].as_str()),
        (406, Some("NotAcceptable"))
    );

    let reqs = server.requests();
    assert!(reqs[1].wants_table());
    assert_eq!(reqs[1].param("includeObject").as_deref(), Some("Metadata"));
    assert!(reqs[2].wants_metadata());
    assert_eq!(reqs[1].accept.as_deref(), Some(accept));
}

#[tokio::test]
async fn server_side_apply_stores_policy_reports() {
    let server = FixtureServer::start(FixtureConfig::new()).await.unwrap();
    let c = Client::admin(&server);
    let report = r#"apiVersion: wgpolicyk8s.io/v1alpha2
kind: PolicyReport
metadata:
  name: kubeward
  namespace: prod
  labels: {app.kubernetes.io/managed-by: kubeward}
summary: {pass: 1, fail: 1}
results:
- policy: KW101
  result: fail
  source: kubeward
"#;
    let path = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/prod/policyreports/kubeward";
    let ssa = [("content-type", "application/apply-patch+yaml")];

    let r = c.send("PATCH", path, &ssa, report).await;
    assert_eq!(r.status, 422, "fieldManager is required: {}", r.body);

    let r = c
        .send(
            "PATCH",
            &format!("{path}?fieldManager=kubeward&force=true"),
            &ssa,
            report,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    assert_eq!(
        keys(&created),
        ["apiVersion", "kind", "metadata", "results", "summary"],
        "sorted like a Go map"
    );
    assert_eq!(created["metadata"]["generation"], 1);
    let uid = created["metadata"]["uid"].clone();

    let changed = report.replace("fail: 1", "fail: 2");
    let r = c
        .send(
            "PATCH",
            &format!("{path}?fieldManager=kubeward"),
            &ssa,
            &changed,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let updated = r.json();
    assert_eq!(updated["metadata"]["uid"], uid);
    assert_eq!(updated["metadata"]["generation"], 2);
    assert_eq!(updated["summary"]["fail"], 2);

    let list = c
        .get("/apis/wgpolicyk8s.io/v1alpha2/policyreports")
        .await
        .json();
    assert_eq!(keys(&list), ["apiVersion", "items", "kind", "metadata"]);
    assert_eq!(list["kind"], "PolicyReportList");
    assert_eq!(list["metadata"]["continue"], "");
    assert_eq!(list["items"][0]["kind"], "PolicyReport");
    assert_eq!(list["items"][0]["summary"]["fail"], 2);

    // Cluster-scoped reports, JSON bodies (what kube-rs sends), name mismatch.
    let cluster = json!({"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "ClusterPolicyReport", "metadata": {"name": "kubeward-cluster"}, "results": []});
    let r = c
        .send(
            "PATCH",
            "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/kubeward-cluster?fieldManager=kubeward",
            &ssa,
            &cluster.to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c
        .send(
            "PATCH",
            "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/other?fieldManager=kubeward",
            &ssa,
            &cluster.to_string(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "the name of the object (kubeward-cluster) does not match the name on the URL (other)"
    );

    // dryRun=All answers without storing.
    let dry = report.replace("name: kubeward", "name: dry");
    let r = c
        .send(
            "PATCH",
            "/apis/wgpolicyk8s.io/v1alpha2/namespaces/prod/policyreports/dry?fieldManager=kubeward&dryRun=All",
            &ssa,
            &dry,
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(
        server
            .object(
                "wgpolicyk8s.io/v1alpha2",
                "PolicyReport",
                Some("prod"),
                "dry"
            )
            .is_none()
    );

    let stored = server
        .object(
            "wgpolicyk8s.io/v1alpha2",
            "PolicyReport",
            Some("prod"),
            "kubeward",
        )
        .unwrap();
    assert_eq!(stored["results"][0]["policy"], "KW101");
    let reqs = server.requests();
    assert_eq!(reqs[1].param("fieldManager").as_deref(), Some("kubeward"));
    assert_eq!(
        reqs[1].content_type.as_deref(),
        Some("application/apply-patch+yaml")
    );
    assert!(server.resource_version() > 100);
}

#[tokio::test]
async fn kube_rs_talks_to_the_fixture() {
    use kube::api::{Api, DynamicObject, ListParams};
    use kube::config::{KubeConfigOptions, Kubeconfig};
    use kube::discovery::ApiResource;

    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = FixtureServer::start(
        FixtureConfig::new()
            .yaml(many_pods(7))
            .yaml(SECRETS)
            .client_cert("alice", &["dev-team"]),
    )
    .await
    .unwrap();

    let client = |yaml: String| async move {
        let kubeconfig = Kubeconfig::from_yaml(&yaml).unwrap();
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .unwrap();
        kube::Client::try_from(config).unwrap()
    };

    let admin = client(server.kubeconfig(Identity::admin())).await;
    let version = admin.apiserver_version().await.unwrap();
    assert_eq!(version.git_version, "v1.26.5");

    let pods: Api<DynamicObject> = Api::all_with(
        admin.clone(),
        &ApiResource::erase::<k8s_openapi::api::core::v1::Pod>(&()),
    );
    let mut names = Vec::new();
    let mut lp = ListParams::default().limit(3);
    loop {
        let page = pods.list(&lp).await.unwrap();
        names.extend(page.items.iter().map(|p| p.metadata.name.clone().unwrap()));
        match page.metadata.continue_ {
            Some(t) if !t.is_empty() => lp = lp.continue_token(&t),
            _ => break,
        }
    }
    assert_eq!(names.len(), 7);

    let secrets: Api<DynamicObject> = Api::namespaced_with(
        admin.clone(),
        "prod",
        &ApiResource::erase::<k8s_openapi::api::core::v1::Secret>(&()),
    );
    let meta = secrets.list_metadata(&ListParams::default()).await.unwrap();
    assert_eq!(meta.items.len(), 2);

    let typed: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(admin.clone(), "b");
    let err = typed.get("missing").await.unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");

    // Client-certificate kubeconfig, several contexts.
    let yaml = server.kubeconfig_with(
        &[
            KubeconfigContext::new("admin@fixture", Identity::admin()),
            KubeconfigContext::new("alice@fixture", Identity::ClientCert("alice".into()))
                .namespace("a"),
        ],
        "alice@fixture",
    );
    let alice = client(yaml).await;
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::default_namespaced(alice);
    assert_eq!(
        pods.list(&ListParams::default()).await.unwrap().items.len(),
        2
    );
    let users: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.user.clone())
        .collect();
    assert_eq!(users.last().map(String::as_str), Some("alice"));
}

#[test]
fn serves_twenty_thousand_objects_in_pages_of_500_quickly() {
    let mut yaml = String::new();
    let kinds = ["ConfigMap", "Service", "ServiceAccount", "Pod"];
    for i in 0..20_000 {
        let kind = kinds[i % kinds.len()];
        let ns = format!("ns-{:02}", i % 50);
        let spec = match kind {
            "Pod" => {
                "spec:\n  containers:\n  - name: app\n    image: nginx:1.25\n    securityContext: {privileged: false}\n"
            }
            "Service" => "spec:\n  type: ClusterIP\n  ports: [{port: 80}]\n",
            "ConfigMap" => "data:\n  key: value\n",
            _ => "",
        };
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: {kind}\nmetadata:\n  name: obj-{i:05}\n  namespace: {ns}\n  labels: {{app: bench}}\n{spec}"
        ));
    }
    let server = FixtureServer::start_blocking(FixtureConfig::new().yaml(yaml)).unwrap();
    assert_eq!(server.object_count(), 20_000 + 50 + 4);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let c = Client::admin(&server);
    let started = Instant::now();
    let total = rt.block_on(async {
        let mut total = 0;
        for resource in ["configmaps", "services", "serviceaccounts", "pods"] {
            let mut token: Option<String> = None;
            loop {
                let path = match &token {
                    Some(t) => format!("/api/v1/{resource}?limit=500&continue={t}"),
                    None => format!("/api/v1/{resource}?limit=500"),
                };
                let r = c.get(&path).await;
                assert_eq!(r.status, 200);
                let v = r.json();
                total += v["items"].as_array().unwrap().len();
                match v["metadata"]["continue"].as_str() {
                    Some(t) => token = Some(t.to_string()),
                    None => break,
                }
            }
        }
        total
    });
    let elapsed = started.elapsed();
    assert_eq!(total, 20_000);
    eprintln!("served 20,000 objects in pages of 500 in {elapsed:?} (client parsing included)");
    // Generous for unoptimised builds; release builds take a fraction of this.
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

#[test]
fn kubeconfig_shape() {
    let server =
        FixtureServer::start_blocking(FixtureConfig::new().cluster_name("kind-test")).unwrap();
    let yaml = server.kubeconfig(Identity::admin());
    assert!(yaml.contains("current-context: \"fixture-admin@kind-test\""));
    assert!(yaml.contains(&format!("server: \"{}\"", server.url())));
    assert!(yaml.contains("token: \"fixture-admin-token\""));
}
