//! Command-line arguments (clap derive).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "coe",
    version,
    about = "Check, compile, plan and apply OpenStack container clusters described in .coe files"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check .coe files (a file, or every .coe file of a directory) and report problems
    Check(CheckArgs),
    /// Compile each cluster to the bundle Heat's stack-create API takes
    Build(BuildArgs),
    /// Show the effective labels of each cluster after inheritance and merge
    Labels(LabelsArgs),
    /// Explain a diagnostic code (with a wrong and a right example), or what a label does
    Explain(ExplainArgs),
    /// Format .coe files in the canonical layout, keeping comments
    Fmt(FmtArgs),
    /// Turn Magnum JSON and the openstack client's cloud listings (`-f json`) into .coe
    Import(ImportArgs),
    /// Show what apply would change in Heat, cluster by cluster, and why
    Plan(PlanArgs),
    /// Create, update (and with --prune delete) the clusters' stacks in Heat
    Apply(ApplyArgs),
    /// Delete clusters' stacks from Heat and wait until they are gone
    Destroy(DestroyArgs),
    /// List the stacks coe manages in the project, with their status and API address
    List(ListArgs),
    /// Show clusters as Heat has them: status, API address, nodes, versions, outputs
    Show(ShowArgs),
    /// Count clusters and nodes, as declared and as live in Heat
    Stats(StatsArgs),
    /// The cloud block: `coe cloud pull` reads it from the cloud's APIs
    Cloud(CloudArgs),
    /// Write (or merge into) a kubeconfig for a cluster: its API, its CA and a
    /// client certificate coe signs with the CA it keeps in Barbican
    Kubeconfig(KubeconfigArgs),
    /// A cluster's CA: show its certificate, or sign a certificate request
    Ca(CaArgs),
    /// For a swarm-mode cluster: write a Docker TLS client certificate and
    /// print the DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH to use it
    Env(EnvArgs),
    /// Run the language server (LSP) on stdin/stdout, for editors
    Lsp(LspArgs),
}

#[derive(clap::Args, Debug)]
pub struct LspArgs {
    /// Accepted for clients that pass it; stdio is the only transport
    #[arg(long)]
    pub stdio: bool,
}

/// How to reach the cloud: like every OpenStack tool.
#[derive(clap::Args, Debug, Clone)]
pub struct CloudOpts {
    /// Cloud from clouds.yaml
    #[arg(long, env = "OS_CLOUD", hide_env_values = true)]
    pub os_cloud: Option<String>,
    /// Heat endpoint to use without Keystone (e.g. http://127.0.0.1:8004/v1/admin)
    #[arg(long, env = "COE_HEAT_URL", hide_env_values = true)]
    pub heat_url: Option<String>,
    /// Endpoint interface from the catalog (public, internal, admin)
    #[arg(long = "os-interface")]
    pub interface: Option<String>,
    /// Region of the endpoint
    #[arg(long = "os-region-name")]
    pub region: Option<String>,
    /// CA bundle to verify TLS with
    #[arg(long = "os-cacert")]
    pub cacert: Option<PathBuf>,
    /// Do not verify TLS certificates (only when you must)
    #[arg(long)]
    pub insecure: bool,
    /// Seconds between polls of a stack in progress
    #[arg(long, default_value = "2", hide = true, env = "COE_POLL_INTERVAL")]
    pub poll_interval: f64,
    /// Attempts for requests that are safe to repeat (GETs, previews, deletes)
    #[arg(long, default_value = "5", hide = true, env = "COE_RETRY_ATTEMPTS")]
    pub retry_attempts: u32,
    /// Seconds before the first retry; doubled after each
    #[arg(long, default_value = "0.5", hide = true, env = "COE_RETRY_BACKOFF")]
    pub retry_backoff: f64,
    /// Seconds to watch for an update whose reply was lost, before giving up
    /// without sending it again
    #[arg(long, default_value = "120", hide = true, env = "COE_LANDING_WAIT")]
    pub landing_wait: f64,
}

/// What to plan: the sources, site environments and the configuration's name.
#[derive(clap::Args, Debug, Clone)]
pub struct TargetOpts {
    /// Environment file merged after coe's own (repeatable), as `openstack stack create -e`
    #[arg(short = 'e', long = "environment")]
    pub env_files: Vec<PathBuf>,
    /// Only these clusters (repeatable)
    #[arg(long = "cluster")]
    pub clusters: Vec<String>,
    /// Name of this configuration in stack tags (default: its directory's name)
    #[arg(long)]
    pub config_name: Option<String>,
    /// Treat the checker's warnings as errors: plan and apply nothing
    #[arg(long)]
    pub deny_warnings: bool,
}

/// What a plan may do beyond creating and updating what is declared.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct ChangeOpts {
    /// Also delete this configuration's stacks whose cluster is no longer declared
    /// (needs the whole configuration)
    #[arg(long)]
    pub prune: bool,
    /// Take over stacks that another configuration owns (their tags say which)
    #[arg(long)]
    pub adopt: bool,
    /// Go ahead with updates that take a cluster's API down or lose its
    /// control plane's data (a single master rebuilt, two masters rolled)
    #[arg(long)]
    pub allow_downtime: bool,
}

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetOpts,
    #[command(flatten)]
    pub cloud: CloudOpts,
    /// Show every reason and the complete diffs
    #[arg(long)]
    pub full: bool,
    /// Print the plan as JSON (versioned; see docs/plan-format.md)
    #[arg(long)]
    pub json: bool,
    /// Save the plan for `coe apply plan.json`
    #[arg(short = 'o', long = "out")]
    pub out: Option<PathBuf>,
    /// Exit 0 for no changes, 2 for changes, 1 for errors
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub change: ChangeOpts,
}

#[derive(clap::Args, Debug)]
pub struct ApplyArgs {
    /// A saved plan (plan.json), or files and directories to plan now
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetOpts,
    #[command(flatten)]
    pub cloud: CloudOpts,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub change: ChangeOpts,
    /// Clusters changed at the same time
    #[arg(long, default_value = "4")]
    pub parallel: usize,
    /// Show every reason and the complete diffs in the plan shown
    #[arg(long)]
    pub full: bool,
}

#[derive(clap::Args, Debug)]
pub struct DestroyArgs {
    /// The configuration: a directory, or files of it to narrow to their
    /// clusters (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Only these clusters (repeatable); also works for clusters no longer declared
    #[arg(long = "cluster")]
    pub clusters: Vec<String>,
    /// Name of the configuration in stack tags (default: its directory's name)
    #[arg(long)]
    pub config_name: Option<String>,
    #[command(flatten)]
    pub cloud: CloudOpts,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Stacks deleted at the same time
    #[arg(long, default_value = "4")]
    pub parallel: usize,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub cloud: CloudOpts,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// Clusters to show (default: every stack coe manages in the project)
    pub clusters: Vec<String>,
    #[command(flatten)]
    pub cloud: CloudOpts,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetOpts,
    #[command(flatten)]
    pub cloud: CloudOpts,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Exit with 1 when there are warnings, too
    #[arg(long)]
    pub deny_warnings: bool,
    /// Report label keys no driver reads as errors instead of warnings
    #[arg(long)]
    pub deny_unknown_labels: bool,
    /// Report labels coe accepts but does not act on as errors, not warnings
    #[arg(long)]
    pub deny_unimplemented_labels: bool,
    /// When to use colour in human output
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// Check against facts read from the cloud now (`live`), not the cloud
    /// block as written; nothing is written
    #[arg(long, value_enum)]
    pub cloud: Option<CloudSource>,
    /// With --cloud live: the cloud block to replace, when there are several
    #[arg(long, requires = "cloud")]
    pub block: Option<String>,
    #[command(flatten)]
    pub cloud_opts: CloudOpts,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloudSource {
    /// The cloud's own APIs, through the Keystone catalog
    Live,
}

#[derive(clap::Args, Debug)]
pub struct CloudArgs {
    #[command(subcommand)]
    pub command: CloudCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum CloudCommand {
    /// Read images, flavors, networks, subnets, keypairs, volume types, Nova's
    /// microversion and load balancers from the cloud, and write them into the
    /// cloud block in place (comments kept), after showing the diff
    Pull(CloudPullArgs),
}

#[derive(clap::Args, Debug)]
pub struct CloudPullArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// The cloud block to update, when there are several (or the name of a new one)
    #[arg(long)]
    pub block: Option<String>,
    /// Show the diff, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Write without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub cloud: CloudOpts,
}

#[derive(clap::Args, Debug)]
pub struct KubeconfigArgs {
    /// The cluster (as `coe list` names it)
    pub cluster: String,
    /// The kubeconfig to write or merge into (default: the first file of
    /// $KUBECONFIG, else ~/.kube/config)
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// The user name in the client certificate (default: coe-<your Keystone user>)
    #[arg(long)]
    pub user: Option<String>,
    /// The group in the client certificate (default: kubeadm:cluster-admins,
    /// or system:masters before Kubernetes 1.29)
    #[arg(long)]
    pub group: Option<String>,
    /// Days the client certificate is valid
    #[arg(long, default_value = "30")]
    pub days: i64,
    /// Keep the current context instead of switching to this cluster's
    #[arg(long)]
    pub no_switch: bool,
    #[command(flatten)]
    pub cloud: CloudOpts,
}

#[derive(clap::Args, Debug)]
pub struct EnvArgs {
    /// The cluster (as `coe list` names it)
    pub cluster: String,
    /// Where to write ca.pem, cert.pem and key.pem (default:
    /// ~/.docker/coe/<cluster>)
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The common name in the client certificate (default: coe-<your Keystone user>)
    #[arg(long)]
    pub user: Option<String>,
    /// Days the client certificate is valid
    #[arg(long, default_value = "30")]
    pub days: i64,
    #[command(flatten)]
    pub cloud: CloudOpts,
}

#[derive(clap::Args, Debug)]
pub struct CaArgs {
    #[command(subcommand)]
    pub command: CaCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum CaCommand {
    /// Print the cluster CA's certificate (PEM)
    Show {
        /// The cluster (as `coe list` names it)
        cluster: String,
        #[command(flatten)]
        cloud: CloudOpts,
    },
    /// Rotate the cluster's CA, one step per run (three in all), each an
    /// apply that replaces every node, one master at a time
    Rotate {
        /// The cluster (as its configuration declares it)
        cluster: String,
        /// The configuration's files or directories (default: the current directory)
        paths: Vec<PathBuf>,
        /// Environment file merged after coe's own (repeatable), as for `coe apply`
        #[arg(short = 'e', long = "environment")]
        env_files: Vec<PathBuf>,
        /// Name of the configuration in stack tags (default: its directory's name)
        #[arg(long)]
        config_name: Option<String>,
        /// Do not ask for confirmation
        #[arg(long, short = 'y')]
        yes: bool,
        /// Show every reason and the complete diffs in the plan shown
        #[arg(long)]
        full: bool,
        #[command(flatten)]
        cloud: CloudOpts,
    },
    /// Sign a certificate signing request as a client certificate of the
    /// cluster (its subject and key only) and print the certificate (PEM)
    Sign {
        /// The cluster (as `coe list` names it)
        cluster: String,
        /// The request, PEM (`-` reads standard input)
        csr: PathBuf,
        /// Days the certificate is valid
        #[arg(long, default_value = "30")]
        days: i64,
        #[command(flatten)]
        cloud: CloudOpts,
    },
}

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Where to write one directory per cluster
    #[arg(short, long, default_value = "build")]
    pub output: PathBuf,
    /// Only these clusters (repeatable)
    #[arg(long = "cluster")]
    pub clusters: Vec<String>,
    /// Format of the diagnostics on standard output; with any but `human`,
    /// the lines that say what was built go to standard error
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(clap::Args, Debug)]
pub struct LabelsArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Only this cluster
    #[arg(long)]
    pub cluster: Option<String>,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Also say what each label does in this cluster, or why it does nothing
    #[arg(long)]
    pub effect: bool,
}

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A code such as COE0308, or a label such as master_lb_allowed_cidrs
    pub code: Option<String>,
    /// List every code with its name and summary
    #[arg(long, conflicts_with = "code")]
    pub list: bool,
}

#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Do not write; exit with 1 if any file is not formatted
    #[arg(long)]
    pub check: bool,
    /// Do not write; print a unified diff of the changes
    #[arg(long)]
    pub diff: bool,
}

/// Reads, with `-f json`: `openstack coe cluster template show`, `coe cluster show`,
/// `image show`, and for the cloud block `flavor list|show`, `network list --long|show`,
/// `subnet list|show`, `volume type list|show`, `keypair list|show`, `image list --long`
/// and `versions show`. A list is taken as all there is of its kind.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// JSON files from `openstack ... -f json` (`-` reads standard input)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the .coe text here instead of standard output
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}
