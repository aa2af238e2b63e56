//! The command line: a thin shell over the library.

use clap::{Parser, Subcommand};

use crate::config::{DatabaseConfig, ServerConfig};

#[derive(Parser, Debug)]
#[command(
    name = "introgate",
    version,
    about = "GraphQL API server for talent networks"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (migrates the database first).
    Serve {
        #[command(flatten)]
        config: Box<ServerConfig>,
        /// Seed demo data into an empty database and print sign-in credentials.
        #[arg(long)]
        demo: bool,
    },
    /// Apply migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Create a network and its first network admin; prints one JSON line.
    Bootstrap {
        #[command(flatten)]
        database: DatabaseConfig,
        #[arg(long)]
        network_name: String,
        #[arg(long)]
        admin_email: String,
        #[arg(long, env = "INTROGATE_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: String,
        #[arg(long)]
        admin_name: Option<String>,
        #[arg(long)]
        gatekeeper: bool,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { config, demo } => {
            crate::telemetry::init()?;
            let app = crate::app::Application::build(*config).await?;
            if demo {
                match crate::demo::seed(app.state()).await? {
                    Some(credentials) => println!("{credentials}"),
                    None => println!("The database already has data: demo data not seeded."),
                }
            }
            tracing::info!(address = %app.local_addr(), "introgate listening");
            println!(
                "introgate listening on http://{}  (GraphiQL: http://{}/graphiql)",
                app.local_addr(),
                app.local_addr()
            );
            app.run_until_stopped().await
        }
        Command::Migrate { database } => {
            crate::telemetry::init()?;
            crate::db::connect(&database, None).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Bootstrap {
            database,
            network_name,
            admin_email,
            admin_password,
            admin_name,
            gatekeeper,
        } => {
            crate::telemetry::init()?;
            let state = crate::state::AppState::offline(&database).await?;
            let input = crate::services::networks::Bootstrap {
                network_name: &network_name,
                admin_email: &admin_email,
                admin_password: &admin_password,
                admin_name: admin_name.as_deref(),
                gatekeeper,
            };
            let (network, account) = crate::services::networks::bootstrap(&state, input)
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(e)))?;
            let ids = serde_json::json!({
                "networkId": crate::graphql::ids::GlobalId::encode(crate::graphql::ids::NodeKind::Network, network.id).0,
                "accountId": crate::graphql::ids::GlobalId::encode(crate::graphql::ids::NodeKind::Account, account.id).0,
            });
            println!("{ids}");
            Ok(())
        }
    }
}

/// A service error as one line for the terminal.
fn describe(error: crate::error::ServiceError) -> String {
    match error {
        crate::error::ServiceError::User(errors) => errors
            .iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e.field.as_ref().map(|f| f.join(".")).unwrap_or_default(),
                    e.message
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        crate::error::ServiceError::Internal(e) => format!("{e:#}"),
        other => format!("{other:?}"),
    }
}
