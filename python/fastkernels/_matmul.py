"""fastkernels.matmul: numpy's ``a @ b`` on numpy arrays, buffers and lists of lists.

``fastkernels.matmul`` is native: it multiplies two 2-D numpy arrays of one
dtype itself and hands everything else to ``general`` below, which works out
numpy's shape rules, the result type and the containers; the products are
native again (``_native._matmul`` for buffers, ``_native._matmul_lists`` for
lists of exact floats or small ints). See docs/matmul.md.
"""
from __future__ import annotations

import sys

from . import _check_threads, _native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

# Buffer formats the native product reads and writes (struct-module codes, native sizes).
_NATIVE_CODES = frozenset("bBhHiIlLqQnNfd?")

# The native element of a struct code: (kind, bytes) with kind 'b' bool, 'i' signed, 'u' unsigned, 'f' float.
_KINDS = {"?": "b", "b": "i", "h": "i", "i": "i", "l": "i", "q": "i", "n": "i",
          "B": "u", "H": "u", "I": "u", "L": "u", "Q": "u", "N": "u", "f": "f", "d": "f"}

# The struct code of a result element (kind, bytes).
_RESULT_CODE = {("b", 1): "?", ("i", 1): "b", ("i", 2): "h", ("i", 4): "i", ("i", 8): "q",
                ("u", 1): "B", ("u", 2): "H", ("u", 4): "I", ("u", 8): "Q", ("f", 4): "f", ("f", 8): "d"}

_SIGNATURE = "(n?,k),(k,m?)->(n?,m?)"


def general(a: Any, b: Any, out: Any, threads: Any) -> Any:
    """fastkernels.matmul(a, b, out=out, threads=threads) for everything its native
    front does not multiply itself (see the docstring of fastkernels.matmul)."""
    _check_threads("matmul", threads)  # here, for every path: some never reach a native call (an empty stack)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        ndarray = numpy.ndarray
        if isinstance(a, ndarray) or isinstance(b, ndarray):
            return _matmul_numpy(numpy, a, b, out, threads)
    if _is_rows(a) or _is_rows(b):
        return _matmul_lists(a, b, out, threads)
    return _matmul_buffers(a, b, out, threads)


# ---------------------------------------------------------------------------- numpy


def _matmul_numpy(numpy: Any, a: Any, b: Any, out: Any, threads: Any) -> Any:
    ndarray = numpy.ndarray
    for name, operand in (("a", a), ("b", b)):
        if isinstance(operand, ndarray) and type(operand) is not ndarray and not isinstance(operand, numpy.memmap):
            # Subclasses (masked arrays, numpy.matrix) mean more than their buffer: numpy's own product.
            return numpy.matmul(a, b) if out is None else numpy.matmul(a, b, out=out)
        if not isinstance(operand, ndarray):
            _check_operand_kind(name, operand)
    a_array, b_array = numpy.asarray(a), numpy.asarray(b)
    if a_array.dtype.char not in _NATIVE_CODES or b_array.dtype.char not in _NATIVE_CODES:
        # float16, complex, object, longdouble, datetime...: numpy's own product (its rules, its errors).
        return numpy.matmul(a_array, b_array) if out is None else numpy.matmul(a_array, b_array, out=out)
    dtype = numpy.result_type(a_array.dtype, b_array.dtype).newbyteorder("=")
    plan = _Plan(a_array.shape, b_array.shape)
    if out is None:
        result = numpy.empty(plan.shape, dtype)
    else:
        result = out
        if not isinstance(out, ndarray):
            raise TypeError(f"matmul() argument 'out' must be a numpy array when a or b is one, "
                            f"not {type(out).__name__}")
        if out.shape != plan.shape:
            raise ValueError(f"matmul() argument 'out' must have shape {plan.shape}, not {out.shape}")
        if out.dtype.newbyteorder("=") != dtype:  # a TypeError, as numpy's UFuncTypeError for an output it cannot cast to
            raise TypeError(f"matmul() argument 'out' must have dtype {dtype} (the product's), not {out.dtype}")
        if not out.flags.writeable:
            raise ValueError("matmul() argument 'out' is read-only")
        if out.dtype != dtype:  # the other byte order: computed in this machine's, then stored swapped
            result = numpy.empty(plan.shape, dtype)
    plan.run(a_array, b_array, result, threads)
    if result is not out and out is not None:
        out[...] = result
        return out
    if out is None and plan.vectors == 3:
        return result[()]  # a numpy scalar, as numpy returns for two 1-D operands
    return result


# ---------------------------------------------------------------------------- buffers


def _check_operand_kind(name: str, operand: Any) -> None:
    """TypeError for what is neither an array nor a list of numbers (str, dict, None...); ValueError for numbers."""
    if isinstance(operand, (str, dict, set, frozenset)) or operand is None:
        raise TypeError(f"matmul() argument {name!r} must be an array, a buffer or a list of lists of numbers, "
                        f"not {type(operand).__name__}")
    import numbers

    if isinstance(operand, numbers.Number):
        raise ValueError(f"matmul() argument {name!r} is a scalar ({type(operand).__name__}); "
                         f"matmul needs operands of at least 1 dimension (use * for scalars)")


def _matmul_buffers(a: Any, b: Any, out: Any, threads: Any) -> Any:
    views = []
    for name, operand in (("a", a), ("b", b)):
        _check_operand_kind(name, operand)
        try:
            view = memoryview(operand)
        except TypeError:
            raise TypeError(f"matmul() argument {name!r} must be an array, a buffer or a list of lists of numbers, "
                            f"not {type(operand).__name__}") from None
        code = view.format.lstrip("@=<>!")
        if len(code) != 1 or code not in _NATIVE_CODES:
            raise TypeError(f"matmul() argument {name!r} has buffer format {view.format!r}, which is not a "
                            f"supported number type (b B h H i I l L q Q n N f d ?)")
        views.append(view)
    a_view, b_view = views
    code = _result_code(a_view, b_view)
    plan = _Plan(tuple(a_view.shape or ()), tuple(b_view.shape or ()))
    if out is None:
        result = _new_memoryview(code, plan.shape)
    else:
        result = memoryview(out)
        if result.readonly:
            raise ValueError("matmul() argument 'out' is read-only")
        if tuple(result.shape or ()) != plan.shape:
            raise ValueError(f"matmul() argument 'out' must have shape {plan.shape}, not {tuple(result.shape or ())}")
        native_order = "<" if sys.byteorder == "little" else ">"
        out_code = result.format[1:] if result.format[:1] in ("@", "=", native_order) else result.format
        if out_code != code:  # (a byte order other than this machine's included)
            raise TypeError(f"matmul() argument 'out' must have format {code!r} (the product's) in this "
                            f"machine's byte order, not {result.format!r}")
    if 0 not in plan.shape:  # an empty result has nothing to compute (and ctypes' views of it differ by version)
        plan.run(a_view, b_view, result, threads)
    if out is not None:
        return out
    if plan.vectors == 3:
        return result[()]
    return result


def _new_memoryview(code: str, shape: tuple[int, ...]) -> memoryview:
    """A writable memoryview of format `code` and this shape over new memory."""
    if 0 not in shape:
        import struct

        size = struct.calcsize(code)
        for length in shape:
            size *= length
        try:
            memory = bytearray(size)
        except MemoryError:
            dimensions = " x ".join(map(str, shape))
            raise MemoryError(f"matmul(): not enough memory for a {dimensions} result ({size} bytes)") from None
        view: memoryview = memoryview(memory).cast(code, shape)  # type: ignore[call-overload]
        return view
    if len(shape) == 1 and code != "?":
        import array

        return memoryview(array.array(code))  # empty, of exactly this format
    # memoryview.cast refuses zeros in a shape; ctypes arrays export any shape (in their own
    # spelling of the format, such as '<d', which memoryview.tolist() does not read; and on
    # Python 3.9 with an itemsize of 0, a ctypes bug fixed in 3.10).
    import ctypes

    element = {"?": ctypes.c_bool, "b": ctypes.c_int8, "h": ctypes.c_int16, "i": ctypes.c_int32,
               "q": ctypes.c_int64, "B": ctypes.c_uint8, "H": ctypes.c_uint16, "I": ctypes.c_uint32,
               "Q": ctypes.c_uint64, "f": ctypes.c_float, "d": ctypes.c_double}[code]
    array_type: Any = element
    for length in reversed(shape):
        array_type = array_type * length
    return memoryview(array_type())


def _element(view: Any) -> tuple[str, int]:
    code = view.format.lstrip("@=<>!")
    return _KINDS[code], view.itemsize


def _result_code(a: Any, b: Any) -> str:
    """numpy's result type for two buffer elements, as a struct code."""
    (kind_a, size_a), (kind_b, size_b) = _element(a), _element(b)
    return _RESULT_CODE[_promote((kind_a, size_a), (kind_b, size_b))]


def _promote(x: tuple[str, int], y: tuple[str, int]) -> tuple[str, int]:
    """numpy's promotion of two numeric types (kind, bytes): bool < ints < floats."""
    if x[0] == "b":
        return y
    if y[0] == "b":
        return x
    if x[0] == "f" or y[0] == "f":
        if x[0] == "f" and y[0] == "f":
            return ("f", max(x[1], y[1]))
        floating, integer = (x, y) if x[0] == "f" else (y, x)
        # float32 holds ints of up to 16 bits exactly; wider ones need float64.
        return ("f", 4) if floating[1] == 4 and integer[1] <= 2 else ("f", 8)
    if x[0] == y[0]:
        return (x[0], max(x[1], y[1]))
    signed, unsigned = (x, y) if x[0] == "i" else (y, x)
    if signed[1] > unsigned[1]:
        return signed
    if unsigned[1] < 8:
        return ("i", unsigned[1] * 2)
    return ("f", 8)  # int64 with uint64: numpy's float64


class _Plan:
    """numpy's shape rules for one product: core dimensions, broadcast batch, result shape."""

    def __init__(self, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> None:
        for index, shape in enumerate((a_shape, b_shape)):
            if len(shape) == 0:
                raise ValueError(f"matmul: Input operand {index} does not have enough dimensions "
                                 f"(has 0, gufunc core with signature {_SIGNATURE} requires 1)")
        a_vector, b_vector = len(a_shape) == 1, len(b_shape) == 1
        self.vectors = int(a_vector) | int(b_vector) << 1
        depth = a_shape[-1]
        b_depth = b_shape[0] if b_vector else b_shape[-2]
        if depth != b_depth:
            raise ValueError(f"matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
                             f"signature {_SIGNATURE} (size {b_depth} is different from {depth})")
        self.a_batch = a_shape[:-2] if not a_vector else ()
        self.b_batch = b_shape[:-2] if not b_vector else ()
        self.batch = _broadcast(self.a_batch, self.b_batch)
        core: tuple[int, ...] = ()
        if not a_vector:
            core += (a_shape[-2],)
        if not b_vector:
            core += (b_shape[-1],)
        self.shape = self.batch + core

    def run(self, a: Any, b: Any, out: Any, threads: Any) -> None:
        native = _native._matmul
        if not self.batch:
            native(a, b, out, (), (), (), self.vectors, threads)  # overlap with out is handled natively
            return
        # A stack is written matrix by matrix: an operand that shares memory with out
        # would be read after parts of it were overwritten. numpy reads it first; so
        # do we, from a copy.
        a, b = _unshared(a, out), _unshared(b, out)
        for index in _indices(self.batch):
            native(a, b, out, _project(index, self.a_batch), _project(index, self.b_batch), index,
                   self.vectors, threads)


def _unshared(operand: Any, out: Any) -> Any:
    """The operand, or a copy of it when its memory overlaps out's."""
    if not _native._buffers_overlap(operand, out):
        return operand
    if hasattr(operand, "copy") and not isinstance(operand, memoryview):
        return operand.copy()  # numpy: same dtype, byte order and shape
    view = memoryview(operand)
    return memoryview(bytearray(view.tobytes())).cast("B").cast(view.format, view.shape)  # type: ignore[call-overload]


def _broadcast(x: tuple[int, ...], y: tuple[int, ...]) -> tuple[int, ...]:
    length = max(len(x), len(y))
    x_full, y_full = (1,) * (length - len(x)) + x, (1,) * (length - len(y)) + y
    shape = []
    for p, q in zip(x_full, y_full):
        if p != q and p != 1 and q != 1:
            raise ValueError(f"matmul: the batch dimensions of the operands, {x} and {y}, do not broadcast "
                             f"together")
        shape.append(q if p == 1 else p)
    return tuple(shape)


def _indices(shape: tuple[int, ...]) -> Any:
    import itertools

    return itertools.product(*(range(length) for length in shape))


def _project(index: tuple[int, ...], batch: tuple[int, ...]) -> tuple[int, ...]:
    """The index into an operand's own batch dimensions (broadcast ones held at 0)."""
    own = index[len(index) - len(batch):]
    return tuple(0 if length == 1 else position for position, length in zip(own, batch))


# ---------------------------------------------------------------------------- lists


def _is_rows(operand: Any) -> bool:
    return isinstance(operand, (list, tuple))


def _matmul_lists(a: Any, b: Any, out: Any, threads: Any) -> Any:
    if out is not None:
        raise TypeError("matmul() argument 'out' is for arrays and buffers; lists of lists give a new list")
    # Two lists of lists of exact floats (or small ints) of matching shapes were multiplied by
    # fastkernels.matmul itself, before any Python ran; these are the lists it declined.
    a_rows, a_vector = _as_rows("a", a, vector_is_row=True)
    b_rows, b_vector = _as_rows("b", b, vector_is_row=False)
    depth = len(a_rows[0]) if a_rows else 0
    b_depth = len(b_rows)
    if a_rows and depth != b_depth:
        raise ValueError(f"matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
                         f"signature {_SIGNATURE} (size {b_depth} is different from {depth})")
    product = None
    natively_tried = type(a) is list and type(b) is list and (a_vector or all(type(row) is list for row in a)) \
        and (b_vector or all(type(row) is list for row in b))
    if a_rows and b_rows and depth and not natively_tried:
        # Tuples, now rows of lists: the native path may take them.
        product = _native._matmul_lists([list(row) for row in a_rows], [list(row) for row in b_rows], threads)
    if product is None:
        columns = 1 if b_vector else len(b_rows[0])  # b_rows is empty only when b is a vector
        if not a_rows or depth == 0:
            product = [[0] * columns for _ in a_rows]
        else:
            import operator

            b_columns = list(zip(*b_rows)) if columns else []
            multiply = operator.mul
            product = [[sum(map(multiply, row, column)) for column in b_columns] for row in a_rows]
    if a_vector and b_vector:
        return product[0][0]
    if a_vector:
        return product[0]
    if b_vector:
        return [row[0] for row in product]
    return product


def _as_rows(name: str, operand: Any, *, vector_is_row: bool) -> tuple[list[Any], bool]:
    """The operand as a list of equal-length rows of numbers, and whether it was a vector (1-D)."""
    if not isinstance(operand, (list, tuple)):
        if hasattr(operand, "tolist") and not isinstance(operand, (str, bytes)):
            try:
                operand = memoryview(operand).tolist()
            except TypeError:
                pass
        if not isinstance(operand, (list, tuple)):
            _check_operand_kind(name, operand)
            raise TypeError(f"matmul() argument {name!r} must be an array, a buffer or a list of lists of numbers, "
                            f"not {type(operand).__name__}")
    if len(operand) == 0 or not isinstance(operand[0], (list, tuple)):
        for position, item in enumerate(operand):
            _check_number(name, item, f"item {position}")
        items = list(operand)
        return ([items] if vector_is_row else [[item] for item in items]), True
    rows = []
    width = len(operand[0])
    for index, row in enumerate(operand):
        if not isinstance(row, (list, tuple)):
            raise ValueError(f"matmul() argument {name!r} is ragged: item {index} is a "
                             f"{type(row).__name__}, item 0 a row of {width} numbers")
        if len(row) != width:
            raise ValueError(f"matmul() argument {name!r} is ragged: row {index} has {len(row)} items, "
                             f"row 0 has {width}")
        for position, item in enumerate(row):
            _check_number(name, item, f"row {index} item {position}")
        rows.append(row)
    return rows, False


def _check_number(name: str, item: Any, where: str) -> None:
    import numbers

    if isinstance(item, numbers.Number):
        return
    if isinstance(item, (list, tuple)):
        raise TypeError(f"matmul() argument {name!r}: {where} is a {type(item).__name__}; lists are matrices "
                        f"of 2 dimensions at most (use a numpy array for stacks of matrices)")
    raise TypeError(f"matmul() argument {name!r}: {where} is a {type(item).__name__}, not a number")

