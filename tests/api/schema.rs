//! `schema.graphql` is what `introgate schema` prints.

#[test]
fn schema_file_matches_the_binary() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_introgate"))
        .arg("schema")
        .output()
        .expect("run introgate schema");
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql");
    assert!(
        printed == committed,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}
