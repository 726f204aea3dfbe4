"""Schemas of the transparency log: signed tree heads, the log key, consistency and inclusion proofs."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

HEX_HASH = {"pattern": "^[0-9a-f]{64}$"}


class TreeHeadOut(ma.Schema):
    """A signed tree head: the C2SP checkpoint ``note`` is what is signed; the other fields restate it."""

    format = fields.String(required=True)
    origin = fields.String(required=True)
    tree_size = fields.Integer(required=True)
    root_hash = fields.String(required=True, metadata=HEX_HASH)
    timestamp = fields.String(required=True, metadata={"description": "RFC 3339 UTC, to the second"})
    key_hash = fields.String(required=True, metadata={"description": "the note key hash of the log key (8 hex)"})
    note = fields.String(required=True, metadata={"description": "the signed note (checkpoint and signature)"})


class TreeHeadListed(TreeHeadOut):
    id = fields.Integer(required=True)


class TreeHeadQuery(ma.Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    before = fields.Integer(validate=validate.Range(min=1, max=2**63 - 1),
                            metadata={"description": "page: heads with an id below this one"})


class TreeHeadList(ma.Schema):
    items = fields.List(fields.Nested(TreeHeadListed), required=True)


class LogKeyOut(ma.Schema):
    """The log's public key: pin ``verifier_key`` to check heads (``juece audit verify --against --key``)."""

    origin = fields.String(required=True)
    key_hash = fields.String(required=True)
    algorithm = fields.String(required=True)
    public_key = fields.String(required=True, metadata=HEX_HASH)
    verifier_key = fields.String(required=True)
    created_at = fields.String(required=True)


class ConsistencyQuery(ma.Schema):
    first = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))
    second = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))


class ConsistencyOut(ma.Schema):
    """RFC 9162 consistency proof between two tree sizes (hex hashes)."""

    first = fields.Integer(required=True)
    second = fields.Integer(required=True)
    first_root = fields.String(required=True, metadata=HEX_HASH)
    second_root = fields.String(required=True, metadata=HEX_HASH)
    consistency_proof = fields.List(fields.String(metadata=HEX_HASH), required=True)


class InclusionQuery(ma.Schema):
    seq = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1),
                         metadata={"description": "the event's sequence number in the decision's chain"})
    tree_size = fields.Integer(validate=validate.Range(min=1, max=2**62),
                               metadata={"description": "a published head of this size (default: the newest)"})


class InclusionOut(ma.Schema):
    """An inclusion proof bundle: check it offline with ``juece log check`` and the log's verifier key."""

    format = fields.String(required=True)
    stream = fields.String(required=True)
    seq = fields.Integer(required=True)
    leaf_index = fields.Integer(required=True)
    leaf = fields.Dict(required=True, metadata={"description": "the leaf record; its RFC 8785 form is hashed"})
    leaf_hash = fields.String(required=True, metadata=HEX_HASH)
    tree_size = fields.Integer(required=True)
    inclusion_proof = fields.List(fields.String(metadata=HEX_HASH), required=True)
    head = fields.Nested(TreeHeadOut, required=True)
