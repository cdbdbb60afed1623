//! Command line of github-webhook-server.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use github_webhook_server::config::{Config, ConfigError, RepoFile};
use github_webhook_server::server::{self, StartError};

#[derive(Parser)]
#[command(
    name = "github-webhook-server",
    version,
    about = "GitHub automation bot: webhooks in, pull request actions out"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Play a pull request's life on a built-in GitHub simulator: no account, no network.
    Demo {
        /// End after the scenario: exit 0 only if every expected effect happened.
        #[arg(long)]
        exit: bool,
    },
    /// Run the webhook server.
    Serve {
        /// Holds config.yaml, the queue, logs and the App key.
        #[arg(long, env = "WEBHOOK_SERVER_DATA_DIR", default_value = server::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
    },
    /// Run the GitHub simulator: REST, git hosting and webhooks for offline use.
    Simulator {
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// Where repositories are kept.
        #[arg(long, default_value = "simulator-state")]
        state_dir: PathBuf,
    },
    /// Check config.yaml and/or a repository's .github-webhook-server.yaml; exit 1 on any error.
    ValidateConfig {
        /// config.yaml to check [default: <data-dir>/config.yaml, unless only --repo-file is given]
        file: Option<PathBuf>,
        /// A .github-webhook-server.yaml to check.
        #[arg(long)]
        repo_file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo { exit } => demo(exit),
        Command::Serve { data_dir } => serve(&data_dir),
        Command::Simulator { port, state_dir } => simulator(port, &state_dir),
        Command::ValidateConfig { file, repo_file } => {
            let file = match (file, &repo_file) {
                (Some(f), _) => Some(f),
                (None, Some(_)) => None,
                (None, None) => {
                    let dir = std::env::var_os("WEBHOOK_SERVER_DATA_DIR")
                        .map(PathBuf::from)
                        .unwrap_or_else(|| PathBuf::from(server::DEFAULT_DATA_DIR));
                    Some(dir.join("config.yaml"))
                }
            };
            validate(file.as_deref(), repo_file.as_deref())
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        })
}

fn serve(data_dir: &Path) -> ExitCode {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(server::serve(data_dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(StartError::Config { path, source }) => {
            report(&path, &source);
            ExitCode::FAILURE
        }
        Err(StartError::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn demo(exit: bool) -> ExitCode {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(github_webhook_server::demo::run(exit)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("error: an expected effect did not happen (✘ above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn simulator(port: u16, state_dir: &Path) -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(async {
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        match github_simulator::Simulator::start(state_dir, listen).await {
            Ok(sim) => {
                println!("simulator listening on {}", sim.url());
                sim.wait().await;
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

fn report(path: &Path, err: &ConfigError) {
    match err {
        ConfigError::Read { .. } => eprintln!("error: {err}"),
        ConfigError::Invalid(problems) => {
            eprintln!(
                "error: {} is invalid ({} problem{}):",
                path.display(),
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            for p in problems {
                let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
                let key = if p.path.is_empty() { "(root)" } else { &p.path };
                eprintln!("  {}{at}: {key}: {}", path.display(), p.message);
            }
        }
    }
}

fn validate(file: Option<&Path>, repo_file: Option<&Path>) -> ExitCode {
    let mut ok = true;
    if let Some(path) = file {
        match Config::load(path) {
            Ok(config) => println!(
                "{}: valid ({} repositor{})",
                path.display(),
                config.repositories.len(),
                if config.repositories.len() == 1 {
                    "y"
                } else {
                    "ies"
                }
            ),
            Err(e) => {
                report(path, &e);
                ok = false;
            }
        }
    }
    if let Some(path) = repo_file {
        let result = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })
            .and_then(|text| RepoFile::parse(&text));
        match result {
            Ok(file) if file.problems.is_empty() => println!("{}: valid", path.display()),
            Ok(file) => {
                report(path, &ConfigError::Invalid(file.problems));
                ok = false;
            }
            Err(e) => {
                report(path, &e);
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
