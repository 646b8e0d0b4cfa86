//! The `roster` command: `serve` runs the server; `keys` manages secret keys; `mail` shows
//! the outbox; `migrate` applies database migrations without serving.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use roster::config::{Config, Durability};
use roster_domain::{ApiKeys, KeyEnvironment};

/// glibc's malloc keeps what argon2id and scrypt free (blocks of 19 MiB and more): after its
/// first free of such a block it serves the next ones from its per-thread arenas and never
/// trims them, so one burst of sign-ups left the process near 600 MB for good. mimalloc hands
/// freed large blocks back to the system (bench/password_burst.py measures it).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A self-hostable user-management server speaking Clerk's Backend API.
///
/// Settings come from, in rising precedence: built-in defaults, the TOML file given by
/// --config, ROSTER_* environment variables (nested instance settings with double
/// underscores, e.g. ROSTER_INSTANCE__LOCKOUT__MAX_ATTEMPTS=5), and the flags below.
#[derive(Parser)]
#[command(name = "roster", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct SettingsArgs {
    /// TOML file with any of the settings (addr, data_dir, database_url, secret_key,
    /// public_url, durability, max_readers, max_connections, [instance] …).
    #[arg(long, global = true, env = "ROSTER_CONFIG")]
    config: Option<PathBuf>,
    /// Folder holding the SQLite database and key material [default: ./roster-data].
    #[arg(long, global = true, env = "ROSTER_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: `sqlite://…` or `postgres://user@host/db` [default: an SQLite file in
    /// the data folder].
    #[arg(
        long,
        global = true,
        env = "ROSTER_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Log filter, e.g. `info` or `roster=debug` [default: info].
    #[arg(long, global = true, env = "ROSTER_LOG")]
    log: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (applies pending migrations first).
    Serve(ServeArgs),
    /// Manage secret API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Read the outbox of e-mail and SMS messages.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Import users from another system's export (or Roster's own), checked by the rules of
    /// `POST /v1/users`. Safe to run again: users already here are skipped.
    Import(ImportArgs),
    /// Export every user in Roster's own format (what `import --from roster` reads), with
    /// password digests; the file is created readable by its owner only.
    Export(ExportArgs),
}

#[derive(Args)]
struct ExportArgs {
    /// The format to write.
    #[arg(long = "to", value_parser = ["roster"], default_value = "roster")]
    format: String,
    /// The file to write.
    #[arg(long, short)]
    output: PathBuf,
    /// Include each user's TOTP secret in the clear: the file is then as secret as the keys.
    #[arg(long)]
    include_secrets: bool,
}

#[derive(Args)]
struct ImportArgs {
    /// The export file.
    file: PathBuf,
    /// The system the file comes from.
    #[arg(long = "from", value_parser = ["clerk", "roster"])]
    source: String,
    /// Check every row, against the stored users too, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not fire `user.created` for imported users (a first bulk load).
    #[arg(long)]
    no_events: bool,
    /// Where the report of refused and skipped rows goes [default: <FILE>.report.jsonl].
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Subcommand)]
enum MailCommand {
    /// Show the newest messages with their delivery state and text (with no SMTP server
    /// configured, this is where verification codes and notices can be read).
    List {
        /// How many messages to show.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Listen address [default: 127.0.0.1:8080].
    #[arg(long, env = "ROSTER_ADDR")]
    addr: Option<SocketAddr>,
    /// A secret key accepted as `Authorization: Bearer …` besides the stored ones.
    #[arg(long, env = "ROSTER_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Base URL clients reach this server at [default: http://<addr>].
    #[arg(long, env = "ROSTER_PUBLIC_URL")]
    public_url: Option<String>,
    /// `full` flushes every commit to disk; `normal` is faster and survives a crash of
    /// Roster, not of the machine [default: full].
    #[arg(long, env = "ROSTER_DURABILITY")]
    durability: Option<Durability>,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Mint a secret key, store only its hash, and print it once.
    Create {
        /// Mint an `sk_live_` key instead of `sk_test_`.
        #[arg(long)]
        live: bool,
        /// A note to tell keys apart in `keys list`.
        #[arg(long)]
        label: Option<String>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by its id (`ak_…`).
    Revoke { id: String },
    /// After rotating the encryption key, re-seal every stored TOTP secret and webhook
    /// signing secret under the new current key, so the retired key can eventually be dropped.
    Reseal,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = cli
        .settings
        .log
        .clone()
        .unwrap_or_else(|| "info".to_owned());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(filter).context("parsing the log filter")?,
        )
        .with_writer(std::io::stderr)
        .init();
    roster::log_panics();

    let mut config = Config::load(cli.settings.config.as_deref())?;
    if let Some(data_dir) = cli.settings.data_dir {
        config.data_dir = data_dir;
    }
    if let Some(url) = cli.settings.database_url {
        config.database_url = Some(url);
    }
    match cli.command {
        Command::Serve(args) => serve(config, args).await,
        Command::Keys(command) => keys(config, command).await,
        Command::Mail(MailCommand::List { limit }) => list_mail(config, limit).await,
        Command::Import(args) => {
            let source =
                roster_http::imports::Source::parse(&args.source).context("an unknown --from")?;
            let args = roster::import::ImportArgs {
                file: args.file,
                source,
                dry_run: args.dry_run,
                events: !args.no_events,
                report: args.report,
            };
            roster::import::import(&config, args).await?;
            Ok(())
        }
        Command::Export(args) => {
            let path = args.output.clone();
            let users = roster::export::export(
                &config,
                roster::export::ExportArgs {
                    output: args.output,
                    include_secrets: args.include_secrets,
                },
            )
            .await?;
            eprintln!(
                "exported {users} users ({}) to {} (mode 0600){}",
                args.format,
                path.display(),
                if args.include_secrets {
                    "; it holds TOTP secrets in the clear: keep it as secret as the encryption key"
                } else {
                    ""
                }
            );
            Ok(())
        }
        Command::Migrate => {
            roster::open_store(&config).await?.close().await;
            println!(
                "migrations applied to {}",
                config.database_url_for_display()
            );
            Ok(())
        }
    }
}

async fn serve(mut config: Config, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(addr) = args.addr {
        config.addr = addr;
    }
    if args.secret_key.is_some() {
        config.secret_key = args.secret_key;
    }
    if args.public_url.is_some() {
        config.public_url = args.public_url;
    }
    if let Some(durability) = args.durability {
        config.durability = durability;
    }
    let application = roster::Application::build(config).await?;
    application.run_until(shutdown_signal()).await
}

async fn keys(config: Config, command: KeysCommand) -> anyhow::Result<()> {
    let store = roster::open_store(&config).await?;
    let keys = ApiKeys::new(store.clone(), None);
    match command {
        KeysCommand::Create { live, label } => {
            let environment = if live {
                KeyEnvironment::Live
            } else {
                KeyEnvironment::Test
            };
            let key = keys.create(environment, label).await?;
            eprintln!(
                "created {} — the secret below is shown only this once:",
                key.record.id
            );
            println!("{}", key.secret);
        }
        KeysCommand::List => {
            for key in keys.list().await? {
                let state = if key.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}…\t{}\t{}\t{}",
                    key.id,
                    key.prefix,
                    key.environment,
                    state,
                    key.label.unwrap_or_default()
                );
            }
        }
        KeysCommand::Revoke { id } => {
            keys.revoke(&id).await?;
            println!("revoked {id}");
        }
        KeysCommand::Reseal => {
            let context = std::sync::Arc::new(roster_domain::Context::new(
                store.clone(),
                roster::instance_settings(&config),
                roster::encryption_keys::load(&config)?,
            )?);
            let webhooks = roster_domain::Webhooks::new(
                store.clone(),
                context.encryption_keys(),
                roster_domain::webhooks::RetrySchedule::default(),
                std::sync::Arc::default(),
            );
            let second_factors = roster_domain::SecondFactors::new(context);
            let count = second_factors.reseal_totp_secrets().await?;
            println!("re-sealed {count} TOTP secrets under the current encryption key");
            let count = webhooks.reseal_secrets().await?;
            println!("re-sealed {count} webhook signing secrets under the current encryption key");
        }
    }
    store.close().await;
    Ok(())
}

async fn list_mail(config: Config, limit: i64) -> anyhow::Result<()> {
    let store = roster::open_store(&config).await?;
    for message in store.list_messages(limit.max(1)).await? {
        println!(
            "{}\t{}\t{}\t{}\t{}\tattempts={}",
            message.id,
            message.state.as_str(),
            message.channel.as_str(),
            message.recipient,
            message.template,
            message.attempts,
        );
        if !message.subject.is_empty() {
            println!("Subject: {}", message.subject);
        }
        if let Some(error) = &message.last_error {
            println!("Last error: {error}");
        }
        if message.body.is_empty() {
            println!("(body erased after delivery)");
        } else {
            println!("{}", message.body);
        }
        println!();
    }
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
