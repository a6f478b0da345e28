//! The engine's error type: every failure a caller of the core can cause, each one line.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Trace(#[from] crate::trace::TraceError),
    #[error(transparent)]
    Cost(#[from] crate::cost::CostError),
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    #[error(transparent)]
    Live(#[from] crate::live::LiveError),
    #[error(transparent)]
    State(#[from] crate::live::StateError),
    #[error(transparent)]
    Param(#[from] crate::params::ParamError),
    #[error(transparent)]
    Ope(#[from] crate::ope::OpeError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
