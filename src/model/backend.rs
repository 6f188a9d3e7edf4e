//! Inference backends for the ONNX mention model: ONNX Runtime (through `ort`, loaded at run time from
//! `libonnxruntime.so`) and tract (pure Rust, always available).
//!
//! Why two: ONNX Runtime is the fast, reference implementation, but its shared library cannot be fetched by
//! `ort`'s build script on these machines and must be installed beside precert (the PyPI `onnxruntime` wheel
//! carries it). tract needs nothing, so a fresh clone's default run and `cargo test` still use the model.
//! Both run the same file; a test checks that they agree.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tract_onnx::prelude::*;

/// The ONNX Runtime release whose C API `ort` 2.0.0-rc.15 targets (ort refuses older minor versions).
pub const ONNXRUNTIME_VERSION: &str = "1.31.1";

/// Which engine runs the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// ONNX Runtime when its library is found, tract otherwise.
    Auto,
    /// ONNX Runtime, or an error naming where it was looked for.
    Onnxruntime,
    /// tract (pure Rust).
    Tract,
}

/// Probabilities from one batch: `assertion[i * n_assertions + k]`, `category[i * n_categories + k]`.
pub struct Output {
    /// Assertion probabilities, row-major.
    pub assertion: Vec<f32>,
    /// Category probabilities, row-major.
    pub category: Vec<f32>,
}

/// A loaded engine.
pub enum Backend {
    /// ONNX Runtime. `Session::run` takes `&mut self`, hence the mutex; ONNX Runtime parallelises inside
    /// each batch, so callers lose little by queueing.
    Onnxruntime(Mutex<ort::session::Session>),
    /// tract, optimised for symbolic batch and sequence lengths.
    Tract(std::sync::Arc<TypedRunnableModel>),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where precert looks for `libonnxruntime.so`, in order: `$ORT_DYLIB_PATH`, then
/// `.onnxruntime/libonnxruntime.so.<version>` under the working directory (where
/// `models/runtime/install-onnxruntime.sh` puts it), then the same name beside the executable.
pub fn onnxruntime_candidates() -> Vec<PathBuf> {
    let name = format!("libonnxruntime.so.{ONNXRUNTIME_VERSION}");
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        v.push(PathBuf::from(p));
    }
    v.push(Path::new(".onnxruntime").join(&name));
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        v.push(dir.join(&name));
    }
    v
}

/// The first candidate library that exists.
pub fn find_onnxruntime() -> Option<PathBuf> {
    onnxruntime_candidates().into_iter().find(|p| p.is_file())
}

impl Backend {
    /// "onnxruntime" or "tract".
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Onnxruntime(_) => "onnxruntime",
            Backend::Tract(_) => "tract",
        }
    }

    /// Loads `onnx` (the model file's bytes) with the chosen engine.
    pub fn load(choice: BackendChoice, onnx: &[u8], threads: usize) -> anyhow::Result<Backend> {
        match choice {
            BackendChoice::Tract => Backend::tract(onnx),
            BackendChoice::Onnxruntime => {
                let lib = find_onnxruntime().ok_or_else(|| {
                    anyhow::anyhow!(
                        "ONNX Runtime {ONNXRUNTIME_VERSION} not found (looked at {:?}); run models/runtime/install-onnxruntime.sh or set ORT_DYLIB_PATH",
                        onnxruntime_candidates()
                    )
                })?;
                Backend::onnxruntime(&lib, onnx, threads)
            }
            BackendChoice::Auto => match find_onnxruntime() {
                Some(lib) => Backend::onnxruntime(&lib, onnx, threads).or_else(|e| {
                    eprintln!(
                        "precert: ONNX Runtime at {} failed to load ({e}); using tract",
                        lib.display()
                    );
                    Backend::tract(onnx)
                }),
                None => Backend::tract(onnx),
            },
        }
    }

    fn onnxruntime(lib: &Path, onnx: &[u8], threads: usize) -> anyhow::Result<Backend> {
        use ort::session::builder::GraphOptimizationLevel;
        // One environment per process; a second `init_from` (a second pipeline) reuses the first.
        static ENV: std::sync::OnceLock<Result<ort::environment::Environment, String>> =
            std::sync::OnceLock::new();
        let env = ENV
            .get_or_init(|| {
                ort::init_from(lib)
                    .map_err(|e| format!("{}: {e}", lib.display()))
                    .and_then(|b| b.build().map_err(|e| e.to_string()))
            })
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let session = ort::session::Session::builder(env)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .with_intra_threads(threads.max(1))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            // The file stores int8 weights, each behind a DequantizeLinear node (models/README.md,
            // "Quantisation"). By default ONNX Runtime keeps those nodes for its QDQ fusions and so
            // dequantizes every weight on every call; this lets constant folding turn them into float
            // weights once, at load. Same arithmetic, so the same probabilities (tested against tract);
            // 2-3x faster per call.
            .with_config_entry("session.disable_quant_qdq", "1")
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .commit_from_memory(onnx)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Backend::Onnxruntime(Mutex::new(session)))
    }

    fn tract(onnx: &[u8]) -> anyhow::Result<Backend> {
        let model = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(onnx))?
            .into_optimized()?
            .into_runnable()?;
        Ok(Backend::Tract(model))
    }

    /// Runs one padded batch: `ids` and `mask` are `batch * seq`, row-major.
    pub fn run(
        &self,
        ids: Vec<i64>,
        mask: Vec<i64>,
        batch: usize,
        seq: usize,
    ) -> anyhow::Result<Output> {
        match self {
            Backend::Onnxruntime(session) => {
                use ort::value::Tensor;
                let shape = [batch as i64, seq as i64];
                let ids = Tensor::from_array((shape, ids)).map_err(|e| anyhow::anyhow!("{e}"))?;
                let mask = Tensor::from_array((shape, mask)).map_err(|e| anyhow::anyhow!("{e}"))?;
                let mut s = session
                    .lock()
                    .map_err(|_| anyhow::anyhow!("session poisoned"))?;
                let out = s
                    .run(ort::inputs!["input_ids" => ids, "attention_mask" => mask])
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let a = out["assertion_probs"]
                    .try_extract_tensor::<f32>()
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .1
                    .to_vec();
                let c = out["category_probs"]
                    .try_extract_tensor::<f32>()
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .1
                    .to_vec();
                Ok(Output {
                    assertion: a,
                    category: c,
                })
            }
            Backend::Tract(model) => {
                let ids = tract_ndarray::Array2::from_shape_vec((batch, seq), ids)?;
                let mask = tract_ndarray::Array2::from_shape_vec((batch, seq), mask)?;
                let out = model.run(tvec!(
                    Tensor::from(ids).into_tvalue(),
                    Tensor::from(mask).into_tvalue()
                ))?;
                let a = out[0]
                    .to_plain_array_view::<f32>()?
                    .iter()
                    .copied()
                    .collect();
                let c = out[1]
                    .to_plain_array_view::<f32>()?
                    .iter()
                    .copied()
                    .collect();
                Ok(Output {
                    assertion: a,
                    category: c,
                })
            }
        }
    }
}
