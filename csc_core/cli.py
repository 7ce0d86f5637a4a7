"""The ``csc`` command: ``csc run INPUT -o OUT.h5ad`` and ``csc embed INPUT --model MODEL.pt -o OUT.h5ad``.

Also ``python -m csc_core …``.

``run`` reads raw counts from ``.h5ad``, a 10x Genomics ``.h5`` or the scDeepCluster ``.h5`` layout (``X``, ``Y``),
runs :func:`csc_core.contrastive_sc` and writes the AnnData with ``obsm["X_csc"]``, ``obs["csc_cluster"]`` and
``uns["csc"]``; ``--save-model`` also writes the trained encoders. ``embed`` puts new cells through a saved model and
writes their embedding to ``obsm["X_csc"]``. Exit codes: 0 done, 2 bad arguments (a value out of range, a setting
that does not fit the others or this machine), 3 unreadable or unwritable paths (input or model missing, a directory or
unreadable; an output or model path that cannot be written), 4 rejected data (e.g. negative or missing counts, too few
cells, a missing layer), 1 anything else. Arguments and paths are checked before the input is read, and the output is
written atomically: no partial file is left behind.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import anndata as ad


EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNREADABLE, EXIT_BAD_INPUT = 0, 1, 2, 3, 4
#: The exit codes as ``--help`` lists them (plain text: argparse prints it as written).
EXIT_CODES = (
    "exit codes: 0 done; 2 bad arguments (a value out of range, or a setting that does not fit the others or this "
    "machine); 3 unreadable or unwritable paths (input or model missing or a directory; output or model path not "
    "writable); 4 rejected data (negative or missing counts, log-normalised values, too few cells, a missing layer, "
    "repeated gene names); 1 anything else. Nothing is read or trained before the arguments and paths are checked, "
    "and no partial output is left behind."
)


def _resolution(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"resolution must be a number or 'auto', got {text!r}") from None


def parser() -> argparse.ArgumentParser:
    """The ``csc`` command's argument parser.

    Returns
    -------
    The parser, with the ``run`` and ``embed`` subcommands.
    """
    from . import __version__

    p = argparse.ArgumentParser(
        prog="csc", description="Contrastive self-supervised clustering of single cells.", epilog=EXIT_CODES
    )
    p.add_argument("--version", action="version", version=f"csc {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="cluster the cells of a count matrix",
        description="csc run INPUT -o OUT.h5ad: embed and cluster the cells of a count matrix with contrastive-sc.",
        epilog=EXIT_CODES,
    )
    run.add_argument("input", help=".h5ad, 10x .h5 or scDeepCluster .h5 file of raw counts (cells × genes)")
    run.add_argument("--output", "-o", required=True, help="where to write the result (.h5ad)")
    run.add_argument(
        "--settings",
        choices=["default", "paper"],
        default="default",
        help="csc_core's defaults or the paper's settings",
    )
    run.add_argument("--clustering", choices=["leiden", "kmeans"], default="leiden")
    run.add_argument("--n-clusters", type=int, help="number of clusters (needed by kmeans)")
    run.add_argument("--resolution", type=_resolution, help="Leiden resolution or 'auto' (default: the preset's)")
    run.add_argument("--n-genes", type=int, help="highly variable genes kept (default: the preset's)")
    run.add_argument("--n-neighbors", type=int, help="neighbours of Leiden's kNN graph (default: the preset's)")
    run.add_argument("--layer", help="read counts from this layer of an .h5ad instead of X")
    run.add_argument("--use-raw", action="store_true", help="read counts from the .h5ad's raw (X holds log values)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--device", default="auto", help="auto, cpu or cuda")
    run.add_argument(
        "--kernel",
        choices=["auto", "compiled", "torch"],
        default="auto",
        help="how training steps are computed: compiled with numba on the CPU (auto) or PyTorch's",
    )
    run.add_argument("--save-model", help="also write the trained encoders to this file (.pt), for csc embed")
    run.add_argument(
        "--early-stopping",
        action="store_true",
        help="stop training once the clusters of a sample of cells stop changing (large data sets)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    emb = sub.add_parser(
        "embed",
        help="embed new cells with a saved model",
        description="Embed the cells of a count matrix with a model saved by csc run --save-model.",
        epilog=EXIT_CODES,
    )
    emb.add_argument("input", help=".h5ad, 10x .h5 or scDeepCluster .h5 file of raw counts (cells × genes)")
    emb.add_argument("--model", "-m", required=True, help="a model file written by csc run --save-model")
    emb.add_argument("--output", "-o", required=True, help="where to write the result (.h5ad)")
    emb.add_argument("--layer", help="read counts from this layer of an .h5ad instead of X")
    emb.add_argument("--use-raw", action="store_true", help="read counts from the .h5ad's raw (X holds log values)")
    emb.add_argument("--quiet", action="store_true", help="no summary line")
    return p


def _reason(err: Exception) -> str:
    """The message of ``err`` as written (``str`` of a ``KeyError`` would quote it)."""
    return str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)


def _format_warning(message, category, filename, lineno, line=None) -> str:
    """A warning as one ``csc: warning: …`` line, without the file, line number and source line of Python's format."""
    return f"csc: warning: {message}\n"


def _write(adata: ad.AnnData, output: Path) -> int:
    """Write ``adata`` to ``output`` atomically; the exit code (3 after saying why on stderr if it cannot)."""
    partial = output.with_name(f".{output.name}.partial")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        adata.write_h5ad(partial)
        partial.replace(output)  # atomic: a crash never leaves a half-written result under the final name
    except OSError as err:
        print(f"csc: cannot write {output}: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    finally:
        partial.unlink(missing_ok=True)  # gone after the rename; removed after a failure or an interrupt
    return EXIT_OK


def _writable(**paths) -> bool:
    """Whether every path given can be written, after saying on stderr why one cannot."""
    from .method.validation import check_writable

    for name, path in paths.items():
        if path is None:
            continue
        try:
            check_writable(name, path)
        except OSError as err:
            print(f"csc: {err}", file=sys.stderr)
            return False
    return True


def _read(path: str) -> ad.AnnData | None:
    """The counts at ``path``, or ``None`` after saying on stderr why they cannot be read."""
    try:
        from .data.readers import read_counts

        return read_counts(path)
    except (OSError, ValueError) as err:
        print(f"csc: cannot read {path}: {err}", file=sys.stderr)
        return None


def _embed(args, output: Path) -> int:
    from .model import load_model

    if not _writable(output=output):
        return EXIT_UNREADABLE
    try:
        model = load_model(args.model)
    except (OSError, ValueError) as err:
        print(f"csc: cannot read model {args.model}: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    adata = _read(args.input)
    if adata is None:
        return EXIT_UNREADABLE
    try:
        adata.obsm["X_csc"] = model.embed(adata, layer=args.layer, use_raw=args.use_raw)
    except (ValueError, KeyError) as err:
        print(f"csc: input rejected: {_reason(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if _write(adata, output) != EXIT_OK:
        return EXIT_UNREADABLE
    if not args.quiet:
        print(f"csc: embedded {adata.n_obs} cells with {args.model}; wrote {output}")
    return EXIT_OK


def main(argv=None) -> int:
    """Entry point of the ``csc`` command.

    Parameters
    ----------
    argv
        The arguments (default: the command line's).

    Returns
    -------
    The exit code.
    """
    args = parser().parse_args(argv)
    previous, warnings.formatwarning = warnings.formatwarning, _format_warning
    try:
        return _main(args)
    finally:
        warnings.formatwarning = previous


def _main(args) -> int:
    """:func:`main` after parsing the arguments."""
    from . import contrastive_sc
    from .api import check_clustering
    from .kernels import resolve_kernel
    from .method.device import resolve_device
    from .method.validation import check_seed
    from .settings import resolve

    output = Path(args.output)
    if output.suffix != ".h5ad":
        print(f"csc: --output must end in .h5ad, got {output.name}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "embed":
        return _embed(args, output)
    if args.clustering == "kmeans" and args.n_clusters is None:
        print("csc: --clustering kmeans needs --n-clusters", file=sys.stderr)
        return EXIT_USAGE
    overrides = dict(resolution=args.resolution, n_genes=args.n_genes, n_neighbors=args.n_neighbors)
    try:  # every argument before reading: a value out of range, or e.g. --kernel compiled where it cannot run
        settings = resolve(args.settings, **overrides)
        check_seed(args.seed)
        check_clustering(args.clustering, args.n_clusters)
        resolve_kernel(args.kernel, device=resolve_device(args.device), mask=settings.mask)  # the device auto means
    except (ValueError, TypeError, RuntimeError) as err:  # RuntimeError: --device cuda without a GPU
        print(f"csc: {err}", file=sys.stderr)
        return EXIT_USAGE
    if not _writable(output=output, save_model=args.save_model):
        return EXIT_UNREADABLE
    adata = _read(args.input)
    if adata is None:
        return EXIT_UNREADABLE
    try:
        contrastive_sc(
            adata,
            settings=args.settings,
            clustering=args.clustering,
            n_clusters=args.n_clusters,
            **overrides,
            layer=args.layer,
            use_raw=args.use_raw,
            seed=args.seed,
            device=args.device,
            save_model=args.save_model,
            progress=not args.quiet,
            early_stopping=args.early_stopping,
            kernel=args.kernel,
        )
    except (ValueError, KeyError) as err:
        print(f"csc: input rejected: {_reason(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RuntimeError as err:
        print(f"csc: {err}", file=sys.stderr)
        return EXIT_ERROR
    if _write(adata, output) != EXIT_OK:
        return EXIT_UNREADABLE
    n = adata.obs["csc_cluster"].nunique()
    if not args.quiet:
        print(f"csc: {adata.n_obs} cells → {n} clusters; wrote {output}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
