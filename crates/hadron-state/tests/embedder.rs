//! Runs the scenario of `examples/embedder.rs` (a connector over an
//! in-memory backend, with backend updates) as a test.

#[path = "../examples/embedder.rs"]
#[allow(dead_code)]
mod embedder;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedder_example_scenario() {
    embedder::demo().await;
}
