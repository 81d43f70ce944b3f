"""Writes the single-op ONNX models the benchmark feeds to onnxruntime-node and onnxruntime-web.

Every model takes X: float32 [N, C] (the *_f64 ones float64) with symbolic N and C, so one file serves every shape; the
ops work along the last axis. matmul takes a: [M, K] and b: [K, N] and returns c = a·b (the GEMM rows). Run from the
repository root (needs `pip install onnx`):

    .venv/bin/python bench/models/gen.py

The .onnx files are committed, so `npm run bench` never needs Python.
"""

from pathlib import Path

import onnx
from onnx import TensorProto, helper

OPSET = 17
HERE = Path(__file__).resolve().parent


def x_input(dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info("X", dtype, ["N", "C"])


def labels_input():
    return helper.make_tensor_value_info("T", TensorProto.INT32, ["N"])


def save(name, nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="sigmax-bench")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, HERE / f"{name}.onnx")
    print(f"wrote bench/models/{name}.onnx")


def unary(name, op, dtype=TensorProto.FLOAT, **attrs):
    y = helper.make_tensor_value_info("Y", dtype, ["N", "C"])
    save(name, [helper.make_node(op, ["X"], ["Y"], **attrs)], [x_input(dtype)], [y])


def main():
    unary("softmax", "Softmax", axis=-1)
    unary("log_softmax", "LogSoftmax", axis=-1)
    unary("sigmoid", "Sigmoid")
    # float64 twins for bench/float64.bench.ts (onnxruntime's CPU kernels take double too)
    unary("softmax_f64", "Softmax", TensorProto.DOUBLE, axis=-1)
    unary("log_softmax_f64", "LogSoftmax", TensorProto.DOUBLE, axis=-1)
    unary("sigmoid_f64", "Sigmoid", TensorProto.DOUBLE)

    # logSumExp over the last axis: one value per row.
    save(
        "logsumexp",
        [helper.make_node("ReduceLogSumExp", ["X"], ["Y"], axes=[-1], keepdims=0)],
        [x_input()],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N"])],
    )

    # Mean cross-entropy with class-index targets, the loss only (ONNX's fused op).
    loss = helper.make_tensor_value_info("loss", TensorProto.FLOAT, [])
    save(
        "ce_loss",
        [helper.make_node("SoftmaxCrossEntropyLoss", ["X", "T"], ["loss"], reduction="mean")],
        [x_input(), labels_input()],
        [loss],
    )

    # Mean cross-entropy and its gradient wrt X in one graph: the fused loss op also returns
    # log p, and grad = (exp(log p) − onehot(T)) / N.
    consts = [
        helper.make_tensor("one_hot_values", TensorProto.FLOAT, [2], [0.0, 1.0]),
        helper.make_tensor("i0", TensorProto.INT64, [1], [0]),
        helper.make_tensor("i1", TensorProto.INT64, [1], [1]),
    ]
    nodes = [
        helper.make_node("SoftmaxCrossEntropyLoss", ["X", "T"], ["loss", "logp"], reduction="mean"),
        helper.make_node("Exp", ["logp"], ["p"]),
        helper.make_node("Shape", ["X"], ["shape"]),
        helper.make_node("Gather", ["shape", "i1"], ["depth64"], axis=0),
        # onnxruntime's OneHot has (int32 indices, float values) kernels with an int32 or float depth only.
        helper.make_node("Cast", ["depth64"], ["depth"], to=TensorProto.INT32),
        helper.make_node("Gather", ["shape", "i0"], ["rows"], axis=0),
        helper.make_node("Cast", ["rows"], ["rows_f"], to=TensorProto.FLOAT),
        helper.make_node("OneHot", ["T", "depth", "one_hot_values"], ["y"], axis=-1),
        helper.make_node("Sub", ["p", "y"], ["d"]),
        helper.make_node("Div", ["d", "rows_f"], ["grad"]),
    ]
    save(
        "ce_loss_grad",
        nodes,
        [x_input(), labels_input()],
        [loss, helper.make_tensor_value_info("grad", TensorProto.FLOAT, ["N", "C"])],
        consts,
    )

    # The GEMM rows: c = a·b, float32, a [M, K], b [K, N] (symbolic).
    save(
        "matmul",
        [helper.make_node("MatMul", ["a", "b"], ["c"])],
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, ["M", "K"]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, ["K", "N"]),
        ],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, ["M", "N"])],
    )


if __name__ == "__main__":
    main()
