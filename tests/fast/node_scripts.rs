//! The node scripts' decisions, run in bash against fake tools on PATH
//! (curl, kubeadm, openssl, kubectl) that answer as a cluster would and
//! record how they were called. No node boots here; what a real node does
//! with these answers is kubeadm's.

use crate::common::root;
use std::path::Path;
use std::process::Command;

/// Runs `script` after sourcing the node library, with `fakes` (name,
/// bash body) on PATH and `sleep` a no-op. Returns (status, log of calls).
fn run(dir: &Path, fakes: &[(&str, &str)], script: &str) -> (i32, String) {
    let (status, log, _) = run_all(dir, fakes, script);
    (status, log)
}

/// The status and what the script printed on standard output.
fn run_stdout(dir: &Path, script: &str) -> (i32, String) {
    let (status, _, out) = run_all(dir, &[], script);
    (status, out)
}

/// `COE_LABELS='...'; ` as the node receives it: the compiler's own encoding.
fn labels(pairs: &[(&str, &str)]) -> String {
    let text = coe::compile::label_lines::encode(pairs.iter().copied());
    assert!(!text.contains('\''), "{text}");
    format!("COE_LABELS='{text}'; ")
}

fn run_all(dir: &Path, fakes: &[(&str, &str)], script: &str) -> (i32, String, String) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for (name, body) in fakes {
        let path = bin.join(name);
        std::fs::write(
            &path,
            format!("#!/bin/bash\necho \"{name} $*\" >>\"$CALLS\"\n{body}\n"),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let scripts = root().join("stdlib/heat/scripts");
    let calls = dir.join("calls");
    std::fs::write(&calls, "").unwrap();
    let prologue = format!(
        ". {0}/common.sh; . {0}/kubernetes-common.sh; sleep() {{ :; }}; \
         COE_STATE={1}/state; K8S_PKI={1}/pki; K8S_ETCD_DIR={1}/etcd; \
         K8S_DISCOVERY={1}/discovery.conf; K8S_MANIFESTS={1}/manifests; COE_NODE_NAME=m-1; ",
        scripts.display(),
        dir.display()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(prologue + script)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("CALLS", &calls)
        .output()
        .unwrap();
    let log = std::fs::read_to_string(&calls).unwrap();
    (
        out.status.code().unwrap_or(-1),
        log + &String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn master_0_sees_a_running_control_plane_by_any_answer() {
    let tmp = tempfile::tempdir().unwrap();
    // An API server answers 401 or 200: a control plane exists.
    for code in ["200", "401"] {
        let curl = format!("printf {code}");
        let (status, _) = run(
            tmp.path(),
            &[("curl", &curl)],
            "k8s_control_plane_up lb:6443",
        );
        assert_eq!(status, 0, "answer {code}");
    }
    // Nothing answers (curl prints 000 and fails): asked six times, then none.
    let (status, log) = run(
        tmp.path(),
        &[("curl", "printf 000; exit 7")],
        "k8s_control_plane_up lb:6443",
    );
    assert_eq!(status, 1, "{log}");
    assert_eq!(log.matches("curl ").count(), 6, "{log}");
}

const KUBECTL: &str = r#"
case "$*" in
  *"get pods"*) printf 'pod/etcd-m-1\npod/etcd-m-0\npod/etcd-m-2\n' ;;
  *"member list"*) printf '8e9e05c52164694d, started, m-0, https://10.0.0.4:2380, https://10.0.0.4:2379, false\n91bc3c398fb3c146, started, m-1, https://10.0.0.5:2380, https://10.0.0.5:2379, false\n' ;;
esac"#;

#[test]
fn a_rejoining_master_removes_the_member_its_old_self_left() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("pki")).unwrap();
    let fakes = [("kubeadm", ""), ("openssl", ""), ("kubectl", KUBECTL)];
    let (status, log) = run(tmp.path(), &fakes, "k8s_forget_member lb:6443");
    assert_eq!(status, 0, "{log}");
    assert!(
        log.contains("kubeadm join phase control-plane-prepare download-certs"),
        "{log}"
    );
    // It asks another master's etcd, never the pod of its own name.
    assert!(log.contains("exec pod/etcd-m-0 -- etcdctl"), "{log}");
    assert!(!log.contains("exec pod/etcd-m-1"), "{log}");
    assert!(log.contains("member remove 91bc3c398fb3c146"), "{log}");
    assert!(!log.contains("member remove 8e9e05c52164694d"), "{log}");
    // The admin certificate and the fetched certificates are gone after.
    assert!(!tmp.path().join("pki").exists(), "{log}");
    assert!(!tmp.path().join("state/rejoin").exists(), "{log}");
}

#[test]
fn a_first_join_removes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let kubectl = KUBECTL.replace("m-1,", "m-9,");
    let fakes = [
        ("kubeadm", ""),
        ("openssl", ""),
        ("kubectl", kubectl.as_str()),
    ];
    let (status, log) = run(tmp.path(), &fakes, "k8s_forget_member lb:6443");
    assert_eq!(status, 0, "{log}");
    assert!(log.contains("member list"), "{log}");
    assert!(!log.contains("member remove"), "{log}");
}

#[test]
fn certificates_that_cannot_be_fetched_stop_the_join() {
    let tmp = tempfile::tempdir().unwrap();
    let fakes = [("kubeadm", "exit 1"), ("openssl", ""), ("kubectl", KUBECTL)];
    let (status, log) = run(tmp.path(), &fakes, "k8s_forget_member lb:6443");
    assert_eq!(status, 1, "{log}");
    assert!(
        log.contains("could not fetch the control plane's certificates"),
        "{log}"
    );
    assert!(!log.contains("kubectl"), "{log}");
}

#[test]
fn image_tags_pinned_by_labels_reach_kubeadms_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let labels = labels(&[("etcd_tag", "3.5.15-0"), ("coredns_tag", "v1.11.3")]);
    let (status, printed) = run_stdout(tmp.path(), &format!("{labels}k8s_image_tags"));
    assert_eq!(status, 0, "{printed}");
    assert_eq!(
        printed,
        "etcd:\n  local:\n    imageTag: \"3.5.15-0\"\ndns:\n  imageTag: \"v1.11.3\"\n"
    );
    // unset: nothing, and kubeadm picks the tags for its version
    let (_, printed) = run_stdout(tmp.path(), "COE_LABELS=''; k8s_image_tags");
    assert_eq!(printed, "");
}

#[test]
fn component_flags_from_labels_reach_kubeadms_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let labels = labels(&[
        ("kubeapi_options", "--v=2 --audit-log-maxage=30"),
        ("admission_control_list", "NodeRestriction,PodSecurity"),
        ("kubelet_options", "--max-pods=50"),
    ]) + "KUBEADM_API=v1beta3; COE_NODE_NAME=m-0; COE_PRIVATE_ADDRESS=10.0.0.4; ";
    let (status, api) = run_stdout(tmp.path(), &format!("{labels}k8s_api_server_args"));
    assert_eq!(status, 0, "{api}");
    assert_eq!(
        api,
        "  extraArgs:\n    enable-admission-plugins: \"NodeRestriction,PodSecurity\"\n    v: \"2\"\n    audit-log-maxage: \"30\"\n"
    );
    let (_, reg) = run_stdout(tmp.path(), &format!("{labels}k8s_node_registration"));
    assert!(
        reg.contains("    node-ip: \"10.0.0.4\"\n    max-pods: \"50\"\n"),
        "{reg}"
    );
    // kubeadm v1beta4 spells extraArgs as a list
    let (_, v4) = run_stdout(
        tmp.path(),
        &format!(
            "{labels}KUBEADM_API=v1beta4; k8s_component_args scheduler \"$(label kubeapi_options)\""
        ),
    );
    assert_eq!(
        v4,
        "scheduler:\n  extraArgs:\n    - name: v\n      value: \"2\"\n    - name: audit-log-maxage\n      value: \"30\"\n"
    );
    // no flags, no section
    let (_, none) = run_stdout(
        tmp.path(),
        "COE_LABELS=''; k8s_component_args scheduler \"\"",
    );
    assert_eq!(none, ""); // kube-proxy's document, as the compiler wrote it; unset, none
    let doc = r#"{"apiVersion":"kubeproxy.config.k8s.io/v1alpha1","kind":"KubeProxyConfiguration","mode":"ipvs"}"#;
    let (_, proxy) = run_stdout(
        tmp.path(),
        &format!("COE_KUBE_PROXY_CONFIG='{doc}'; k8s_kube_proxy_config"),
    );
    assert_eq!(proxy, format!("---\n{doc}\n"));
    let (status, none) = run_stdout(
        tmp.path(),
        "unset COE_KUBE_PROXY_CONFIG; k8s_kube_proxy_config",
    );
    assert_eq!((status, none.as_str()), (0, ""));
    let master =
        std::fs::read_to_string(root().join("stdlib/heat/scripts/kubernetes-master.sh")).unwrap();
    assert!(
        master.contains("$(k8s_kube_proxy_config)\nEOF"),
        "kubeadm init's configuration ends with kube-proxy's"
    );
}

/// system_pods_initial_delay and system_pods_timeout become kubeadm
/// patches of the control plane's liveness probes, for init and for a
/// joining master; unset, no patches and kubeadm's own timing.
#[test]
fn system_pod_timing_reaches_kubeadm_as_patches() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("patches");
    let both = labels(&[
        ("system_pods_initial_delay", "30"),
        ("system_pods_timeout", "5"),
    ]) + &format!("K8S_PATCHES={}; ", dir.display());
    let (status, printed) = run_stdout(
        tmp.path(),
        &format!("{both}k8s_probe_patches \"$K8S_PATCHES\""),
    );
    assert_eq!(status, 0, "{printed}");
    assert_eq!(
        printed,
        format!("patches:\n  directory: \"{}\"\n", dir.display())
    );
    for pod in [
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "etcd",
    ] {
        let patch = std::fs::read_to_string(dir.join(format!("{pod}+strategic.yaml"))).unwrap();
        assert_eq!(
            patch,
            format!(
                "spec:\n  containers:\n    - name: {pod}\n      livenessProbe:\n        initialDelaySeconds: 30\n        timeoutSeconds: 5\n"
            )
        );
    }
    // a joining master's configuration carries them too
    let join = format!(
        "{both}KUBEADM_API=v1beta3; COE_PRIVATE_ADDRESS=10.0.0.5; COE_KUBE_API_PORT=6443; k8s_join_config 10.0.0.2:6443 control-plane"
    );
    let (_, config) = run_stdout(tmp.path(), &join);
    assert!(config.contains("patches:\n  directory:"), "{config}");
    // one label alone sets only its field
    std::fs::remove_dir_all(&dir).unwrap();
    let one = labels(&[("system_pods_timeout", "9")]) + &format!("K8S_PATCHES={}; ", dir.display());
    run_stdout(
        tmp.path(),
        &format!("{one}k8s_probe_patches \"$K8S_PATCHES\""),
    );
    let patch = std::fs::read_to_string(dir.join("etcd+strategic.yaml")).unwrap();
    assert!(
        patch.ends_with("livenessProbe:\n        timeoutSeconds: 9\n"),
        "{patch}"
    );
    // integers as the check accepts them: leading zeros, a sign, spaces
    std::fs::remove_dir_all(&dir).unwrap();
    let written = labels(&[
        ("system_pods_initial_delay", " 08"),
        ("system_pods_timeout", "+5"),
    ]) + &format!("K8S_PATCHES={}; ", dir.display());
    let (status, out) = run_stdout(
        tmp.path(),
        &format!("{written}k8s_probe_patches \"$K8S_PATCHES\""),
    );
    assert_eq!(status, 0, "{out}");
    let patch = std::fs::read_to_string(dir.join("kube-scheduler+strategic.yaml")).unwrap();
    assert!(
        patch.ends_with("initialDelaySeconds: 8\n        timeoutSeconds: 5\n"),
        "{patch}"
    );
    // unset: nothing at all
    std::fs::remove_dir_all(&dir).unwrap();
    let (_, none) = run_stdout(
        tmp.path(),
        &format!(
            "COE_LABELS=''; K8S_PATCHES={}; k8s_probe_patches \"$K8S_PATCHES\"",
            dir.display()
        ),
    );
    assert_eq!(none, "");
    assert!(!dir.exists());
}

/// The network manifests follow the labels: flannel's backend, pod network
/// and CNI plugin tag; calico's pool and IP-in-IP mode. A fake curl serves
/// a trimmed manifest of each.
#[test]
fn network_manifests_follow_the_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let flannel = r#"  net-conf.json: |
    {
      "Network": "10.244.0.0/16",
      "Backend": {
        "Type": "vxlan"
      }
    }
      initContainers:
      - name: install-cni-plugin
        image: docker.io/flannel/flannel-cni-plugin:v1.5.1-flannel2
      containers:
      - name: kube-flannel
        image: docker.io/flannel/flannel:v0.25.7
"#;
    std::fs::write(tmp.path().join("flannel.yml"), flannel).unwrap();
    let curl = format!(
        "out=; while [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=$2; shift; done; cp {} \"$out\"",
        tmp.path().join("flannel.yml").display()
    );
    let fakes = [("curl", curl.as_str())];
    let f = tmp.path().join("net.yaml");
    let script = |labels: String| {
        format!(
            "{labels}FLANNEL_VERSION=v0.25.7; COE_PODS_NETWORK_CIDR=10.100.0.0/16; flannel_manifest {0} && cat {0}",
            f.display()
        )
    };
    let (status, log, out) = run_all(
        tmp.path(),
        &fakes,
        &script(labels(&[
            ("flannel_backend", "host-gw"),
            ("flannel_cni_tag", "v1.6.0-flannel1"),
        ])),
    );
    assert_eq!(status, 0, "{log}");
    assert!(out.contains("\"Network\": \"10.100.0.0/16\""), "{out}");
    assert!(out.contains("\"Type\": \"host-gw\""), "{out}");
    assert!(
        out.contains("flannel-cni-plugin:v1.6.0-flannel1\n"),
        "{out}"
    );
    assert!(out.contains("flannel/flannel:v0.25.7"), "{out}");
    // a tag is taken literally, whatever sed would make of it
    let (_, _, out) = run_all(
        tmp.path(),
        &fakes,
        &script(labels(&[("flannel_cni_tag", "v1.6.0&x#y\\1")])),
    );
    assert!(out.contains("flannel-cni-plugin:v1.6.0&x#y\\1\n"), "{out}");
    // container_infra_prefix moves every image, also taken literally
    let (_, _, out) = run_all(
        tmp.path(),
        &fakes,
        &script(labels(&[(
            "container_infra_prefix",
            "reg.example.com/a&b/",
        )]))
        .replace(" && cat", " && prefix_images $f && cat")
        .replace("$f", &f.display().to_string()),
    );
    assert!(
        out.contains("image: reg.example.com/a&b/flannel-cni-plugin:v1.5.1-flannel2\n")
            && out.contains("image: reg.example.com/a&b/flannel:v0.25.7\n"),
        "{out}"
    );
    // unset: the manifest's own tag and backend
    let (_, _, out) = run_all(tmp.path(), &fakes, &script(String::new()));
    assert!(
        out.contains("flannel-cni-plugin:v1.5.1-flannel2\n") && out.contains("\"Type\": \"vxlan\""),
        "{out}"
    );
    // a manifest without the plugin image stops the script rather than ignore the label
    std::fs::write(
        tmp.path().join("flannel.yml"),
        flannel.replace("flannel-cni-plugin", "other"),
    )
    .unwrap();
    let (status, log, _) = run_all(
        tmp.path(),
        &fakes,
        &script(labels(&[("flannel_cni_tag", "v1.6.0-flannel1")])),
    );
    assert_ne!(status, 0, "{log}");
    assert!(log.contains("no flannel-cni-plugin image to pin"), "{log}");
}

/// The nodes get the scripts without comments, blank lines and indentation
/// (`compile::shipped_script`): bash must parse each the same before and
/// after. Wrapped in a function, a script's parse is what `declare -f`
/// prints, heredocs and quoted strings verbatim and comments left out.
#[test]
fn scripts_lose_only_comments_on_the_way_to_the_nodes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = root().join("stdlib/heat/scripts");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut end: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            match &end {
                Some(tag) if line.trim() == tag => end = None,
                Some(_) => assert!(
                    !line.trim_start().starts_with('#'),
                    "{}:{}: a heredoc line starts with `#`, which shipping would drop",
                    path.display(),
                    n + 1
                ),
                None => {
                    if let Some(i) = line.find("<<") {
                        let tag: String = line[i + 2..]
                            .trim_start_matches('-')
                            .trim_start_matches(['\'', '"'])
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if !tag.is_empty() {
                            end = Some(tag);
                        }
                    }
                }
            }
        }
        let shipped = tmp.path().join(path.file_name().unwrap());
        std::fs::write(&shipped, coe::compile::shipped_script(&text)).unwrap();
        let check = Command::new("bash")
            .arg("-n")
            .arg(&shipped)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&check.stderr)
        );
        let parsed = |file: &Path| {
            let out = Command::new("bash")
                .arg("-c")
                .arg("eval \"shipped() {\n$(cat \"$1\")\n}\"; declare -f shipped")
                .arg("bash")
                .arg(file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(
            parsed(&path),
            parsed(&shipped),
            "{}: shipping changed what bash parses",
            path.display()
        );
    }
}

#[test]
fn shipping_keeps_heredocs_and_strings_that_span_lines() {
    let text = "#!/bin/bash\n# a comment\n\nf() {\n  cat <<EOF\n  indented: yes\n# kept\nEOF\n  echo 'two\n    lines'   # it's a comment\n  x=1\n}\n";
    assert_eq!(
        coe::compile::shipped_script(text),
        "#!/bin/bash\nf() {\ncat <<EOF\n  indented: yes\n# kept\nEOF\necho 'two\n    lines'   # it's a comment\nx=1\n}\n"
    );
}

/// `label`, `pct_decode`, `is_true`, `json_escape` and `retry`: the helpers
/// every role script leans on, run in bash with the values nodes receive.
#[test]
fn the_node_librarys_helpers_read_what_the_compiler_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let odd = "x \"y\" \\z 'q' a=b\nline two %41 café\t";
    let all = labels(&[
        ("a", odd),
        ("b", "café"),
        ("n", "30"),
        ("e", ""),
        ("a_b", "second"),
    ]);
    let cases: Vec<(String, &str)> = vec![
        // KEY=VALUE lines as the compiler writes them: any text survives
        (format!("{all}label a"), odd),
        (format!("{all}label b"), "café"),
        (format!("{all}label n"), "30"),
        // a key is matched whole, not as a prefix or a pattern
        (format!("{all}label a_b"), "second"),
        (format!("{all}label a_"), ""),
        // unset or empty: the fallback
        (format!("{all}label e fallback"), "fallback"),
        (format!("{all}label missing fallback"), "fallback"),
        ("COE_LABELS=''; label missing fallback".into(), "fallback"),
        // percent-decoding of the env file's values
        (
            r#"pct_decode v 'a%20b%0Ac%25'; printf '%s' "$v""#.into(),
            "a b\nc%",
        ),
        (
            r#"is_true YES && is_true on && ! is_true 0 && printf ok"#.into(),
            "ok",
        ),
        (r#"json_escape "$(printf 'q"\\\ttab')""#.into(), r#"q\"\\ tab"#),
        // retry: stops at the first success, gives up after N attempts
        (
            r#"tries=0; f() { tries=$((tries+1)); [ $tries -ge 3 ]; }; retry 5 0 f && printf '%s' $tries"#.into(),
            "3",
        ),
    ];
    for (script, want) in cases {
        let (status, out) = run_stdout(tmp.path(), &script);
        assert_eq!((status, out.as_str()), (0, want), "{script}");
    }
    let (status, _) = run_stdout(tmp.path(), "retry 2 0 false");
    assert_eq!(status, 1, "retry gives up");
}

/// kube-proxy's IPVS mode loads the IPVS modules (its scheduler's among
/// them) now and at every boot, and fails loudly when one will not load;
/// any other mode loads nothing.
#[test]
fn ipvs_mode_loads_its_kernel_modules() {
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("modules/coe-ipvs.conf");
    let script = |flags: &str| {
        format!(
            "{}K8S_MODULES_LOAD={}; k8s_ipvs_modules",
            labels(&[("kubeproxy_options", flags)]),
            conf.display()
        )
    };
    let (status, log) = run(
        tmp.path(),
        &[("modprobe", "")],
        &script("--ipvs-scheduler=wrr --proxy-mode=ipvs"),
    );
    assert_eq!(status, 0, "{log}");
    assert_eq!(
        log,
        "modprobe ip_vs\nmodprobe ip_vs_wrr\nmodprobe nf_conntrack\n"
    );
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        "ip_vs\nip_vs_wrr\nnf_conntrack\n"
    );
    std::fs::remove_file(&conf).unwrap();
    let (status, log) = run(
        tmp.path(),
        &[("modprobe", "[ \"$1\" != ip_vs_rr ]")],
        &script("--proxy-mode=ipvs"),
    );
    assert_ne!(status, 0, "{log}");
    std::fs::remove_file(&conf).unwrap();
    let (status, log) = run(
        tmp.path(),
        &[("modprobe", "")],
        &script("--proxy-mode=iptables"),
    );
    assert_eq!((status, log.as_str()), (0, ""));
    assert!(!conf.exists());
}

/// A curl that answers as Keystone (a token in the headers file `-D`, for
/// the credential coe-c1 of user u-1 with secret s3cret) and Barbican (the
/// file `$KEY` as secret 1's payload `-o`, `$BUNDLE` as secret 2's), and
/// fails without a token.
const KEYSTONE_AND_BARBICAN: &str = r#"
out=; headers=; auth=; token=; url=
while [ $# -gt 0 ]; do
  case $1 in
    -D) headers=$2; shift ;;
    -o) out=$2; shift ;;
    -H) case $2 in @*) token=$(cat "${2#@}") ;; esac; shift ;;
    --data) auth=$(cat "${2#@}"); shift ;;
    http*) url=$1 ;;
  esac
  shift
done
case $auth in *'"name":"coe-c1","user":{"id":"u-1"},"secret":"s3cret"'*) printf 'HTTP/1.1 201\r\nX-Subject-Token: tok-1\r\n\r\n' >"$headers"; exit 0 ;; esac
[ -z "$headers" ] || exit 22
[ "$token" = "X-Auth-Token: tok-1" ] || exit 22
case $url in
  */secrets/1/payload) cp "$KEY" "$out" ;;
  */secrets/2/payload) cp "$BUNDLE" "$out" ;;
  *) exit 22 ;;
esac"#;

/// The environment a master gets: the CA, the node credential (with
/// `secret`), and where coe keeps the key (`$KEY`) and, when `shared`, the
/// other shared secrets (`$BUNDLE`).
fn master_env(ca: &coe::ca::Ca, dir: &Path, secret: &str, shared: bool) -> String {
    format!(
        "COE_CA_KEY_URL=https://kms/v1/secrets/1/payload; COE_KEYSTONE_URL=https://ks/v3; \
         COE_CONTROL_PLANE_URL={}; \
         COE_NODE_CREDENTIAL_NAME=coe-c1; COE_NODE_CREDENTIAL_USER=u-1; \
         COE_NODE_CREDENTIAL_SECRET={secret}; COE_CA_CERT='{}'; \
         KEY={}; BUNDLE={}; export KEY BUNDLE; ",
        if shared {
            "https://kms/v1/secrets/2/payload"
        } else {
            ""
        },
        ca.cert_pem.trim_end(),
        dir.join("key.pem").display(),
        dir.join("bundle").display()
    )
}

#[test]
fn a_master_installs_the_ca_key_from_barbican_only_if_it_is_the_certificates() {
    let tmp = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now();
    let ca = coe::ca::Ca::generate("c1", now).unwrap();
    let other = coe::ca::Ca::generate("c2", now).unwrap();
    let key = tmp.path().join("key.pem");
    let env = |secret: &str| master_env(&ca, tmp.path(), secret, false);
    std::fs::write(&key, ca.key_pem().expose()).unwrap();
    let (status, log) = run(
        tmp.path(),
        &[("curl", KEYSTONE_AND_BARBICAN)],
        &(env("s3cret") + "k8s_install_ca"),
    );
    assert_eq!(status, 0, "{log}");
    let pki = tmp.path().join("pki");
    assert_eq!(
        std::fs::read_to_string(pki.join("ca.key")).unwrap(),
        ca.key_pem().expose()
    );
    assert_eq!(
        std::fs::read_to_string(pki.join("ca.crt")).unwrap(),
        ca.cert_pem
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(pki.join("ca.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "ca.key is readable by others: {mode:o}");
    // The secret never appears on a command line.
    assert!(!log.contains("s3cret"), "{log}");

    // A key that is not the certificate's stops the node.
    std::fs::write(&key, other.key_pem().expose()).unwrap();
    let (status, log) = run(
        tmp.path(),
        &[("curl", KEYSTONE_AND_BARBICAN)],
        &(env("s3cret") + "k8s_install_ca"),
    );
    assert_eq!(status, 1, "{log}");
    assert!(log.contains("is not the CA certificate's"), "{log}");

    // A refused credential stops it too, after the retries.
    let (status, log) = run(
        tmp.path(),
        &[("curl", KEYSTONE_AND_BARBICAN)],
        &(env("wrong") + "k8s_install_ca"),
    );
    assert_eq!(status, 1, "{log}");
    assert!(log.contains("refused the node credential"), "{log}");

    // Without Barbican nothing is fetched: kubeadm makes the CA.
    let (status, log) = run(
        tmp.path(),
        &[("curl", "exit 99")],
        "COE_CA_KEY_URL=; k8s_install_ca",
    );
    assert_eq!(status, 0, "{log}");
    assert!(!log.contains("curl"), "{log}");
}

#[test]
fn every_master_installs_the_shared_secrets_from_barbican_checked_pair_by_pair() {
    let tmp = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now();
    let ca = coe::ca::Ca::generate("c1", now).unwrap();
    std::fs::write(tmp.path().join("key.pem"), ca.key_pem().expose()).unwrap();
    let bundle = coe::ca::shared::generate("c1", now).unwrap();
    std::fs::write(tmp.path().join("bundle"), bundle.expose()).unwrap();
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let env = format!(
        "export TMPDIR={}; {}",
        scratch.display(),
        master_env(&ca, tmp.path(), "s3cret", true)
    );
    let check = "; echo \"shared=$K8S_SHARED\"; k8s_join_config lb:6443 control-plane";
    let (status, log, out) = run_all(
        tmp.path(),
        &[("curl", KEYSTONE_AND_BARBICAN)],
        &format!("{env}k8s_install_shared{check}"),
    );
    assert_eq!(status, 0, "{log}");
    let pki = tmp.path().join("pki");
    use std::os::unix::fs::PermissionsExt;
    for (path, text) in coe::ca::shared::parse(bundle.expose()).unwrap() {
        let file = pki.join(path);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "{path}");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        if path.ends_with(".key") {
            assert_eq!(mode & 0o077, 0, "{path} is readable by others: {mode:o}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(pki.join("ca.key")).unwrap(),
        ca.key_pem().expose()
    );
    // One login per fetch, the secret never on a command line, the bundle
    // not left behind.
    assert_eq!(log.matches("auth/tokens").count(), 2, "{log}");
    assert!(!log.contains("s3cret"), "{log}");
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0, "{log}");
    // The join downloads nothing (no certificate key) and finds the API
    // through a kubeconfig that trusts exactly the CAs coe keeps.
    assert!(out.contains("shared=1"), "{out}");
    assert!(!out.contains("certificateKey"), "{out}");
    assert!(!out.contains("unsafeSkipCAVerification"), "{out}");
    let discovery = tmp.path().join("discovery.conf");
    assert!(
        out.contains(&format!("kubeConfigPath: {}", discovery.display())),
        "{out}"
    );
    let conf: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&discovery).unwrap()).unwrap();
    assert_eq!(conf["clusters"][0]["cluster"]["server"], "https://lb:6443");
    // client-go refuses a context without a user: the shape of cluster-info
    assert!(
        conf["contexts"].is_null() && conf["users"].is_null(),
        "{conf}"
    );
    use base64::Engine;
    let trusted = base64::engine::general_purpose::STANDARD
        .decode(
            conf["clusters"][0]["cluster"]["certificate-authority-data"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    assert_eq!(String::from_utf8(trusted).unwrap(), ca.cert_pem);
    // The controller manager signs with the first certificate alone.
    assert_eq!(
        std::fs::read_to_string(pki.join("ca-signing.crt")).unwrap(),
        ca.cert_pem
    );

    // A joining master with them fetches no certificates and keeps them.
    let (status, log) = run(
        tmp.path(),
        &[("kubeadm", ""), ("openssl", ""), ("kubectl", KUBECTL)],
        "K8S_SHARED=1; k8s_forget_member lb:6443",
    );
    assert_eq!(status, 0, "{log}");
    assert!(!log.contains("download-certs"), "{log}");
    assert!(pki.join("etcd/ca.key").exists(), "{log}");
    // the fakes stay on PATH otherwise: the checks below need the real openssl
    std::fs::remove_dir_all(tmp.path().join("bin")).unwrap();

    // A bundle whose etcd key is another CA's stops the node.
    let other = coe::ca::shared::generate("c2", now).unwrap();
    let files = coe::ca::shared::parse(bundle.expose()).unwrap();
    let theirs = coe::ca::shared::parse(other.expose()).unwrap();
    let mixed: String = files
        .iter()
        .zip(&theirs)
        .map(|((p, mine), (_, other))| {
            format!(
                "=== {p}\n{}",
                if *p == "etcd/ca.key" { other } else { mine }
            )
        })
        .collect();
    std::fs::write(tmp.path().join("bundle"), mixed).unwrap();
    let (status, log) = run(
        tmp.path(),
        &[("curl", KEYSTONE_AND_BARBICAN)],
        &format!("{env}k8s_install_shared"),
    );
    assert_eq!(status, 1, "{log}");
    assert!(
        log.contains("etcd/ca.key from Barbican is not the key of etcd/ca.crt"),
        "{log}"
    );

    // A bundle without a file stops it too.
    let cut = bundle.expose().find("=== sa.key").unwrap();
    std::fs::write(tmp.path().join("bundle"), &bundle.expose()[..cut]).unwrap();
    let (status, log) = run(
        tmp.path(),
        &[("curl", KEYSTONE_AND_BARBICAN)],
        &format!("{env}k8s_install_shared"),
    );
    assert_eq!(status, 1, "{log}");
    assert!(log.contains("have no sa.key"), "{log}");

    // Without kept shared secrets: nothing fetched, and the join downloads
    // the certificates with the certificate key as before.
    let (status, log, out) = run_all(
        tmp.path(),
        &[("curl", "exit 99")],
        "COE_CONTROL_PLANE_URL=; COE_CERTIFICATE_KEY=k1; \
         if k8s_install_shared; then exit 9; fi; k8s_join_config lb:6443 control-plane",
    );
    assert_eq!(status, 0, "{log}");
    assert!(!log.contains("curl"), "{log}");
    assert!(out.contains("certificateKey: \"k1\""), "{out}");
}

/// The functions `names` of a node script that runs on its own (its body
/// is not for tests), to define in a test's shell.
fn functions_of(script: &str, names: &[&str]) -> String {
    let text = std::fs::read_to_string(root().join("stdlib/heat/scripts").join(script)).unwrap();
    let mut out = String::new();
    for name in names {
        let start = text
            .find(&format!("\n{name}() {{\n"))
            .unwrap_or_else(|| panic!("{script} has no function {name}"));
        let end = start + text[start..].find("\n}\n").unwrap() + 3;
        out.push_str(&text[start..end]);
    }
    out
}

/// A docker client that answers `swarm join-token -q manager` only to a
/// client certificate the CA it is given verifies for client use.
const DOCKER_CHECKING_THE_CLIENT: &str = r#"
while [ $# -gt 0 ]; do
  case $1 in
    --tlscacert) ca=$2; shift ;;
    --tlscert) cert=$2; shift ;;
  esac
  shift
done
openssl verify -purpose sslclient -CAfile "$ca" "$cert" >/dev/null 2>&1 || exit 1
echo SWMTKN-1-manager"#;

#[test]
fn a_swarm_manager_gets_the_manager_token_from_manager_0s_api_not_from_heat() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = coe::ca::Ca::generate("s1", std::time::SystemTime::now()).unwrap();
    let tls = tmp.path().join("tls");
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&tls).unwrap();
    std::fs::create_dir_all(&scratch).unwrap();
    std::fs::write(tls.join("ca.pem"), &ca.cert_pem).unwrap();
    std::fs::write(tls.join("ca-key.pem"), ca.key_pem().expose()).unwrap();
    let script = |call: &str| {
        format!(
            "{} TLS_DIR={}; export TMPDIR={}; COE_MANAGER_ADDRESS=10.0.0.4; COE_API_PORT=2376; {call}",
            functions_of("swarm-manager.sh", &["sign", "manager_token_from_api"]),
            tls.display(),
            scratch.display()
        )
    };
    let (status, log, out) = run_all(
        tmp.path(),
        &[("docker", DOCKER_CHECKING_THE_CLIENT)],
        &script("manager_token_from_api"),
    );
    assert_eq!((status, out.as_str()), (0, "SWMTKN-1-manager\n"), "{log}");
    assert!(
        log.contains("-H tcp://10.0.0.4:2376 swarm join-token -q manager"),
        "{log}"
    );
    // The one-day client certificate and its key are gone after.
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0, "{log}");

    // A CA that is not the one the API trusts gets no token: the node stops.
    let other = coe::ca::Ca::generate("s2", std::time::SystemTime::now()).unwrap();
    let trusted = tmp.path().join("trusted.pem");
    std::fs::write(&trusted, &other.cert_pem).unwrap();
    let docker = DOCKER_CHECKING_THE_CLIENT
        .replace("-CAfile \"$ca\"", &format!("-CAfile {}", trusted.display()));
    let (status, log, out) = run_all(
        tmp.path(),
        &[("docker", docker.as_str())],
        &script("set -e; token=$(manager_token_from_api); echo \"got $token\""),
    );
    assert_eq!(status, 1, "{log}{out}");
    assert!(log.contains("gave no manager token"), "{log}");
    assert!(!out.contains("got"), "{out}");
}

#[test]
fn a_master_publishes_its_ca_bundle_for_joining_nodes() {
    let tmp = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now();
    let bundle = format!(
        "{}{}",
        coe::ca::Ca::generate("old", now).unwrap().cert_pem,
        coe::ca::Ca::generate("new", now).unwrap().cert_pem
    );
    std::fs::create_dir_all(tmp.path().join("pki")).unwrap();
    std::fs::write(tmp.path().join("pki/ca.crt"), &bundle).unwrap();
    let (status, log) = run(
        tmp.path(),
        &[("kubectl", "")],
        "COE_KUBE_API_PORT=6443; k8s_publish_ca lb:6443",
    );
    assert_eq!(status, 0, "{log}");
    assert!(
        log.contains("--server https://127.0.0.1:6443 -n kube-public patch configmap cluster-info --type merge -p "),
        "{log}"
    );
    // The patch is JSON whose kubeconfig names the endpoint and carries the
    // whole bundle.
    let patch = log.split(" -p ").nth(1).unwrap().trim();
    let v: serde_json::Value = serde_json::from_str(patch).unwrap();
    let kubeconfig = v["data"]["kubeconfig"].as_str().unwrap();
    let parsed: serde_json::Value = serde_saphyr::from_str(kubeconfig).unwrap();
    assert_eq!(
        parsed["clusters"][0]["cluster"]["server"],
        "https://lb:6443"
    );
    use base64::Engine;
    let data = parsed["clusters"][0]["cluster"]["certificate-authority-data"]
        .as_str()
        .unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), bundle);
}

/// A kubeadm whose first join fails, whose reset empties the PKI directory
/// (as the real one does), and whose join needs the shared secrets there.
const KUBEADM_RESET_WIPES: &str = r#"
case $1 in
  join)
    [ -f "$PKI/etcd/ca.key" ] || { echo "join without the shared secrets" >>"$CALLS"; exit 1; }
    n=$(( $(cat "$PKI.count" 2>/dev/null || echo 0) + 1 )); echo "$n" >"$PKI.count"
    [ "$n" -ge 2 ] ;;
  reset) rm -rf "${PKI:?}"/* ;;
esac"#;

#[test]
fn a_master_retrying_its_join_gets_its_shared_secrets_back_after_each_reset() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = tmp.path().join("pki");
    std::fs::create_dir_all(pki.join("etcd")).unwrap();
    for f in ["ca.crt", "ca.key", "etcd/ca.crt", "etcd/ca.key", "sa.key"] {
        std::fs::write(pki.join(f), f).unwrap();
    }
    // k8s_join writes /etc/coe/kubeadm-join.yaml: here, a file of the test's
    let script = format!(
        "export PKI={}; k8s_join_config() {{ :; }}; K8S_SHARED=1; \
         eval \"$(declare -f k8s_join | sed 's#/etc/coe/kubeadm-join.yaml#{}#g')\"; \
         k8s_join lb:6443",
        pki.display(),
        tmp.path().join("join.yaml").display()
    );
    let (status, log) = run(
        tmp.path(),
        &[("kubeadm", KUBEADM_RESET_WIPES), ("curl", "")],
        &script,
    );
    assert_eq!(status, 0, "{log}");
    assert!(!log.contains("join without the shared secrets"), "{log}");
    assert_eq!(log.matches("kubeadm join --config").count(), 2, "{log}");
    assert_eq!(
        std::fs::read_to_string(pki.join("etcd/ca.key")).unwrap(),
        "etcd/ca.key"
    );
    // the copy is gone after
    assert!(!tmp.path().join("state/shared-pki").exists(), "{log}");
}

#[test]
fn two_files_openssl_cannot_read_are_not_a_key_pair() {
    let tmp = tempfile::tempdir().unwrap();
    let (status, out) = run_stdout(
        tmp.path(),
        &format!(
            "cd {}; printf 'junk' >a.crt; printf 'junk' >a.key; \
             if coe_same_key a.crt a.key; then echo same; else echo differ; fi",
            tmp.path().display()
        ),
    );
    assert_eq!((status, out.as_str()), (0, "differ\n"));
}

#[test]
fn a_master_with_the_kept_cas_joins_in_phases_trusting_every_ca_it_has() {
    let tmp = tempfile::tempdir().unwrap();
    let manifests = tmp.path().join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    let manifest = manifests.join("kube-controller-manager.yaml");
    std::fs::write(
        &manifest,
        "    - --cluster-name=c1\n    - --cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt\n",
    )
    .unwrap();
    let kubectl = r#"case "$*" in *"config view"*) echo coe-cluster ;; esac"#;
    let (status, log) = run(
        tmp.path(),
        &[("kubeadm", ""), ("kubectl", kubectl)],
        "K8S_SHARED=1; k8s_join_once control-plane",
    );
    assert_eq!(status, 0, "{log}");
    let calls: Vec<&str> = log.lines().filter(|l| l.starts_with("kube")).collect();
    let pki = tmp.path().join("pki");
    let expect = [
        "kubeadm join phase preflight --config /etc/coe/kubeadm-join.yaml --ignore-preflight-errors=",
        "kubeadm join phase control-plane-prepare all --config /etc/coe/kubeadm-join.yaml",
        "kubectl --kubeconfig /etc/kubernetes/admin.conf config view",
        &format!(
            "kubectl --kubeconfig /etc/kubernetes/admin.conf config set-cluster coe-cluster --certificate-authority={}/ca.crt --embed-certs",
            pki.display()
        ),
        "kubeadm join --config /etc/coe/kubeadm-join.yaml --skip-phases=preflight,control-plane-prepare",
    ];
    assert_eq!(calls.len(), expect.len(), "{log}");
    for (call, want) in calls.iter().zip(expect) {
        assert!(call.starts_with(want), "{call}\n  is not\n{want}");
    }
    // The controller manager signs with the first CA alone.
    assert_eq!(
        std::fs::read_to_string(&manifest).unwrap(),
        format!(
            "    - --cluster-name=c1\n    - --cluster-signing-cert-file={}/ca-signing.crt\n",
            pki.display()
        )
    );
    // A worker, or a master without them, joins in one go.
    let (status, log) = run(
        tmp.path(),
        &[("kubeadm", "")],
        "K8S_SHARED=; k8s_join_once control-plane",
    );
    assert_eq!(status, 0, "{log}");
    assert!(
        log.contains("kubeadm join --config /etc/coe/kubeadm-join.yaml --ignore-preflight-errors="),
        "{log}"
    );
    assert!(!log.contains("phase"), "{log}");
}
