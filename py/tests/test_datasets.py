"""Loaders for `zkalert evaluate`: Edge-IIoTset (a fixture in its published schema, built here) and any labelled CSV.

Edge-IIoTset itself cannot be downloaded on this machine; the fixture has its
63 columns, identifier/timestamp/payload columns, categorical columns with the
data set's mixed encodings, missing values and duplicate rows.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from zkalert.data.datasets import (
    EDGE_IIOTSET_DROP,
    load_edge_iiotset,
    load_labelled_csv,
    tennessee_eastman,
)
from zkalert.errors import DataError

EDGE_COLUMNS = [
    "frame.time", "ip.src_host", "ip.dst_host", "arp.dst.proto_ipv4", "arp.opcode", "arp.hw.size",
    "arp.src.proto_ipv4", "icmp.checksum", "icmp.seq_le", "icmp.transmit_timestamp", "icmp.unused",
    "http.file_data", "http.content_length", "http.request.uri.query", "http.request.method", "http.referer",
    "http.request.full_uri", "http.request.version", "http.response", "http.tls_port", "tcp.ack", "tcp.ack_raw",
    "tcp.checksum", "tcp.connection.fin", "tcp.connection.rst", "tcp.connection.syn", "tcp.connection.synack",
    "tcp.dstport", "tcp.flags", "tcp.flags.ack", "tcp.len", "tcp.options", "tcp.payload", "tcp.seq", "tcp.srcport",
    "udp.port", "udp.stream", "udp.time_delta", "dns.qry.name", "dns.qry.name.len", "dns.qry.qu", "dns.qry.type",
    "dns.retransmission", "dns.retransmit_request", "dns.retransmit_request_in", "mqtt.conack.flags",
    "mqtt.conflag.cleansess", "mqtt.conflags", "mqtt.hdrflags", "mqtt.len", "mqtt.msg_decoded_as", "mqtt.msg",
    "mqtt.msgtype", "mqtt.proto_len", "mqtt.protoname", "mqtt.topic", "mqtt.topic_len", "mqtt.ver", "mbtcp.len",
    "mbtcp.trans_id", "mbtcp.unit_id", "Attack_label", "Attack_type",
]  # fmt: skip


def edge_row(rng: np.random.Generator, i: int, attack: str) -> dict[str, object]:
    row: dict[str, object] = {c: 0 for c in EDGE_COLUMNS}
    syn_flood = attack == "DDoS_TCP"
    row.update({
        "frame.time": f" 2021 11:{i // 60:02d}:{i % 60:02d}.{rng.integers(1e6):06d}000 ",
        "ip.src_host": f"192.168.0.{rng.integers(1, 250)}", "ip.dst_host": f"192.168.0.{rng.integers(1, 250)}",
        "tcp.payload": rng.bytes(4).hex(), "tcp.options": "020405b4", "tcp.srcport": int(rng.integers(1024, 65535)),
        "tcp.dstport": 80 if syn_flood else 1883, "http.request.full_uri": f"/index.php?id={i}",
        "tcp.ack": float(rng.integers(1, 5000)), "tcp.ack_raw": float(rng.integers(1, 1e9)),
        "tcp.checksum": float(rng.integers(0, 65535)), "tcp.len": float(0 if syn_flood else rng.integers(10, 40)),
        "tcp.connection.syn": 1.0 if syn_flood else 0.0, "tcp.flags": 2.0 if syn_flood else 24.0,
        "tcp.seq": float(rng.integers(1, 300)), "mqtt.len": 0.0 if syn_flood else float(rng.integers(30, 40)),
        "mqtt.msgtype": 0.0 if syn_flood else 3.0, "mqtt.topic_len": 0.0 if syn_flood else 24.0,
        "http.request.method": "GET" if attack == "SQL_injection" else "0",
        "http.referer": "0", "http.request.version": "HTTP/1.1" if attack == "SQL_injection" else "0",
        "dns.qry.name.len": "0", "mqtt.conack.flags": "0x00000000" if i % 7 == 0 else "0",
        "mqtt.protoname": "0" if syn_flood else "MQTT", "mqtt.topic": "0" if syn_flood else "Temperature_and_Humidity",
        "mqtt.msg": "31 32 2e 35" if not syn_flood else "0", "dns.qry.name": "0",
        "Attack_label": 0 if attack == "Normal" else 1, "Attack_type": attack,
    })  # fmt: skip
    return row


@pytest.fixture
def edge_csv(tmp_path):
    rng = np.random.default_rng(7)
    kinds = ["Normal"] * 240 + ["DDoS_TCP"] * 40 + ["SQL_injection"] * 20
    rows = [edge_row(rng, i, kind) for i, kind in enumerate(kinds)]
    rows[5]["tcp.len"] = ""  # a missing value: the authors' recipe drops the row
    rows.append(dict(rows[10]))  # an exact duplicate: dropped too
    path = tmp_path / "DNN-EdgeIIoT-dataset.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=EDGE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_edge_iiotset_loader_follows_the_authors_preprocessing(edge_csv):
    data = load_edge_iiotset(edge_csv, seed=0)
    names = set(data.feature_names)
    for dropped in (*EDGE_IIOTSET_DROP, "Attack_label", "Attack_type"):
        assert not any(n == dropped or n.startswith(dropped + "=") for n in names), dropped
    # categoricals one-hot encoded, mixed encodings kept apart; numeric columns stay single
    assert {"mqtt.protoname=MQTT", "mqtt.conack.flags=0x00000000", "mqtt.conack.flags=0"} <= names
    # categories come from the (normal) training rows only: the SYN flood's empty protocol name was
    # never seen there, so it is no column of its own; it shows as MQTT switched off
    assert "mqtt.protoname=0" not in names
    mqtt = data.feature_names.index("mqtt.protoname=MQTT")
    flood = data.test.fault_ids == next(k for k, v in data.group_names.items() if v == "DDoS_TCP")
    assert np.all(data.test.windows[flood, mqtt] == 0) and np.all(data.train[:, mqtt] == 1)
    assert "tcp.len" in names and "mqtt.topic_len" in names
    assert any("dropped 1 row(s) with missing values" in n for n in data.notes)
    assert any("dropped 1 duplicate row(s)" in n for n in data.notes)
    # groups from Attack_type, Normal first; labels from Attack_label
    assert data.group_names[0] == "Normal" and set(data.group_names.values()) == {
        "Normal",
        "DDoS_TCP",
        "SQL_injection",
    }
    assert data.group_kind == "attack type"
    total = len(data.validation) + len(data.test) + len(data.train)
    assert total < 300  # the training split's attacks are not trained on
    for part in (data.validation, data.test):
        assert set(np.unique(part.labels)) == {0, 1}
        assert np.array_equal(part.labels == 0, part.fault_ids == 0)
    assert np.all(np.isfinite(data.train)) and data.train.shape[1] == data.width


def test_edge_iiotset_needs_its_label_columns(tmp_path, edge_csv):
    text = edge_csv.read_text().splitlines()
    broken = tmp_path / "no_label.csv"
    broken.write_text(
        "\n".join(line.rsplit(",", 2)[0] + "," + line.rsplit(",", 1)[1] for line in text) + "\n"
    )
    with pytest.raises(DataError, match="not an Edge-IIoTset CSV: column 'Attack_label' not found"):
        load_edge_iiotset(broken)
    with pytest.raises(DataError, match="no such file"):
        load_edge_iiotset(tmp_path / "missing.csv")


def write_csv(path, header, rows):
    path.write_text(
        ",".join(header) + "\n" + "\n".join(",".join(str(v) for v in r) for r in rows) + "\n"
    )
    return path


def test_csv_loader_options(tmp_path):
    rng = np.random.default_rng(0)
    rows = [
        [
            i,
            round(float(rng.normal()), 4),
            round(float(rng.normal()), 4),
            ["a", "b"][i % 2],
            int(i >= 150),
        ]
        for i in range(200)
    ]
    path = write_csv(tmp_path / "plant.csv", ["t", "x", "y", "mode", "fault"], rows)
    data = load_labelled_csv(
        path, "fault", drop_columns=["t"], categorical_columns=["mode"], ordered=True
    )
    assert data.feature_names == ("x", "y", "mode=a", "mode=b")
    assert data.train.shape == (120, 4)  # the first 60% of the file, all normal
    assert data.validation.rows.tolist() == list(range(120, 160))
    assert data.test.rows.min() == 160 and set(np.unique(data.test.labels)) == {1}
    shuffled = load_labelled_csv(path, "fault", drop_columns=["t"], seed=1)
    assert set(np.unique(shuffled.test.labels)) == {0, 1}  # stratified: both classes in every split
    assert shuffled.feature_names[-2:] == (
        "mode=a",
        "mode=b",
    )  # non-numeric text is one-hot encoded


@pytest.mark.parametrize(
    "header, rows, kwargs, message",
    [
        (
            ["x", "y"],
            [[1, 0]] * 10,
            {"label_column": "label"},
            "label column 'label' not found; columns are \\['x', 'y'\\]",
        ),
        (
            ["x", "label"],
            [[1, 2]] * 10,
            {"label_column": "label"},
            "must hold 0 \\(normal\\) or 1 \\(anomalous\\); found \\['2'\\]",
        ),
        (
            ["x", "label"],
            [[1, 0]] * 9 + [["nan", 0]],
            {"label_column": "label"},
            "NaN at row 9, column 'x'",
        ),
        (
            ["x", "label"],
            [[1, 0]] * 9 + [["inf", 0]],
            {"label_column": "label"},
            "inf at row 9, column 'x'",
        ),
        (
            ["x", "label"],
            [[1, 0], [2, 1]],
            {"label_column": "label"},
            "the (validation|test) split is empty",
        ),
        (
            ["x", "label"],
            [[1, 1]] * 10,
            {"label_column": "label"},
            "training split has no normal rows",
        ),
        (
            ["x", "label"],
            [[1, 0]] * 10,
            {"label_column": "label", "drop_columns": ["z"]},
            "column\\(s\\) \\['z'\\] not found",
        ),
        (
            ["x", "id", "label"],
            [[1, f"dev-{i}", 0] for i in range(200)],
            {"label_column": "label"},
            "column 'id' is not numeric and has",
        ),
    ],
)
def test_csv_loader_names_the_problem(tmp_path, header, rows, kwargs, message):
    path = write_csv(tmp_path / "bad.csv", header, rows)
    with pytest.raises(DataError, match=message):
        load_labelled_csv(path, **kwargs)


def test_csv_loader_can_drop_missing_rows_instead(tmp_path):
    rows = [[float(i), 0] for i in range(20)] + [["", 0]] + [[99.0, 1]] * 5
    data = load_labelled_csv(
        write_csv(tmp_path / "gaps.csv", ["x", "label"], rows), "label", drop_missing=True
    )
    assert any("dropped 1 row(s) with missing values" in n for n in data.notes)
    assert len(data.train) + len(data.validation) + len(data.test) <= 25


def test_tennessee_eastman_evaluation_data_keeps_the_published_layout():
    data = tennessee_eastman()
    assert data.width == 52 and len(data.train) == 500
    assert len(data.test) == 22 * 960 and data.onset_row == 160
    assert data.group_names[0] == "normal" and data.group_names[21] == "fault 21"


@pytest.mark.slow
def test_edge_iiotset_fixture_goes_through_evaluate(edge_csv, tmp_path):
    from zkalert.lab.evaluate import EvaluateOptions, run

    data = load_edge_iiotset(edge_csv, seed=0)
    options = EvaluateOptions(
        epochs=10, parity=False, workspace=tmp_path / "ws", out_dir=tmp_path / "out", progress=False
    )
    report = run(data, options, echo=lambda _m: None)
    groups = {g["name"] for g in report["detectors"]["autoencoder"]["groups"]}
    assert groups == {"Normal", "DDoS_TCP", "SQL_injection"}
    assert report["detectors"]["autoencoder"]["roc_auc"] is not None
    assert "## Per attack type" in (tmp_path / "out" / "report.md").read_text()
