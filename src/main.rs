use clap::Parser;

// A quarter of the read path's CPU went to glibc's malloc and free (`perf`, nested list of
// 50 requests); mimalloc serves the same small, short-lived allocations much cheaper.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    introgate::cli::run(introgate::cli::Cli::parse()).await
}
