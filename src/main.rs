//! `precert` command line: parse flags, build the pipeline, run a subcommand, map the outcome to an exit
//! code (0 ok, 1 some records rejected, 2 usage or build error).

mod cli;

fn main() {
    let code = match cli::run() {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`precert review … | head`) is a quiet success.
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                0
            } else {
                eprintln!("precert: {err:#}");
                2
            }
        }
    };
    std::process::exit(code);
}
