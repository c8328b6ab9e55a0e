//! Extracts the README's quick starts (the first ```rust and ```sh blocks under "## Quick
//! starts") into OUT_DIR, so `tests/docs_readme.rs` compiles and runs the Rust one and runs the
//! shell one exactly as printed. Only the broker address is swapped for the test broker's.

use std::path::Path;

/// The address every snippet connects to.
const README_BROKER_ADDR: &str = "\"127.0.0.1:7400\"";

/// The body of the first ```lang block after the "## Quick starts" heading.
fn quickstart_block(readme: &str, lang: &str) -> Option<String> {
    let section = readme.split_once("\n## Quick starts\n")?.1;
    let fence = format!("```{lang}\n");
    let body = section.split_once(&fence)?.1;
    Some(body.split_once("\n```")?.0.to_string())
}

fn main() {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    println!("cargo:rerun-if-changed={}", readme_path.display());
    let readme = std::fs::read_to_string(&readme_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", readme_path.display()));
    let out = std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    for (lang, file) in [
        ("rust", "readme_quickstart.rs"),
        ("sh", "readme_quickstart.sh"),
    ] {
        let block = quickstart_block(&readme, lang).unwrap_or_else(|| {
            panic!("README.md has no ```{lang} block under \"## Quick starts\"")
        });
        let text = if lang == "rust" {
            assert!(
                block.contains(README_BROKER_ADDR),
                "the Rust quick start no longer connects to {README_BROKER_ADDR}"
            );
            let code = block.replace(README_BROKER_ADDR, "readme_broker_addr.clone()");
            format!("async {{\n{code}\nOk::<(), rustlog::Error>(())\n}}\n")
        } else {
            block
        };
        let path = Path::new(&out).join(file);
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}
