//! Human-readable logs: stdout plus a daily file in `<data-dir>/logs`, both masked. The level
//! and the file name follow config.yaml (`log-level`, `log-file`) without a restart; `RUST_LOG`,
//! when set, overrides the level.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context, Result};
use tracing_appender::rolling::RollingFileAppender;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

use crate::config::Config;
use crate::masking::{MaskingMakeWriter, SharedMasker};

pub const DEFAULT_LOG_FILE: &str = "webhook-server.log";

/// Dependencies are chatty at info; their warnings still come through.
const QUIET_DEPENDENCIES: &str = "hyper=warn,reqwest=warn,rustls=warn,h2=warn";

pub struct Logging {
    filter: reload::Handle<EnvFilter, Registry>,
    file: SwitchableFile,
    dir: PathBuf,
    env_override: bool,
}

fn filter_for(config: &Config) -> EnvFilter {
    EnvFilter::new(format!(
        "{},{QUIET_DEPENDENCIES}",
        config.defaults.log_level.as_filter()
    ))
}

fn file_name(config: &Config) -> String {
    config
        .defaults
        .log_file
        .clone()
        .unwrap_or_else(|| DEFAULT_LOG_FILE.to_string())
}

impl Logging {
    /// Installs the global subscriber.
    pub fn init(logs_dir: &Path, config: &Config, masker: SharedMasker) -> Result<Logging> {
        std::fs::create_dir_all(logs_dir)
            .with_context(|| format!("creating {}", logs_dir.display()))?;
        let env_override = std::env::var_os("RUST_LOG").is_some();
        let filter = if env_override {
            EnvFilter::from_default_env()
        } else {
            filter_for(config)
        };
        let (filter, handle) = reload::Layer::new(filter);
        let file = SwitchableFile::open(logs_dir, &file_name(config))?;
        let stdout = tracing_subscriber::fmt::layer()
            .with_ansi(io::IsTerminal::is_terminal(&io::stdout()))
            .with_writer(MaskingMakeWriter::new(io::stdout, masker.clone()));
        let to_file = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(MaskingMakeWriter::new(file.clone(), masker));
        tracing_subscriber::registry()
            .with(filter)
            .with(stdout)
            .with(to_file)
            .try_init()
            .context("installing the log subscriber")?;
        Ok(Logging {
            filter: handle,
            file,
            dir: logs_dir.to_path_buf(),
            env_override,
        })
    }

    /// Applies a reloaded configuration's level and file name.
    pub fn apply(&self, config: &Config) {
        if !self.env_override
            && let Err(e) = self.filter.reload(filter_for(config))
        {
            tracing::error!("changing the log level: {e}");
        }
        let name = file_name(config);
        if name != self.file.name()
            && let Err(e) = self.file.switch(&self.dir, &name)
        {
            tracing::error!("switching the log file to {name}: {e:#}");
        }
    }
}

/// A daily-rolling file whose name can change while the server runs.
#[derive(Clone)]
struct SwitchableFile(Arc<RwLock<(String, RollingFileAppender)>>);

impl SwitchableFile {
    fn open(dir: &Path, name: &str) -> Result<SwitchableFile> {
        Ok(SwitchableFile(Arc::new(RwLock::new((
            name.to_string(),
            appender(dir, name)?,
        )))))
    }

    fn name(&self) -> String {
        self.0.read().unwrap_or_else(|e| e.into_inner()).0.clone()
    }

    fn switch(&self, dir: &Path, name: &str) -> Result<()> {
        let new = appender(dir, name)?;
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = (name.to_string(), new);
        Ok(())
    }
}

fn appender(dir: &Path, name: &str) -> Result<RollingFileAppender> {
    RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(name)
        .build(dir)
        .with_context(|| format!("opening log file {name} in {}", dir.display()))
}

impl<'a> MakeWriter<'a> for SwitchableFile {
    type Writer = SwitchableFile;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl io::Write for SwitchableFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let guard = self.0.read().unwrap_or_else(|e| e.into_inner());
        guard.1.make_writer().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        let guard = self.0.read().unwrap_or_else(|e| e.into_inner());
        guard.1.make_writer().flush()
    }
}
