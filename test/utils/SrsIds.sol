// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev The SRS id the tests register their models with (the registries record an SRS id as given:
/// only an audit compares it with the [τ]G2 a verifier's code embeds).
bytes32 constant TEST_SRS_ID = keccak256("zkalert/test/srs");

/// @dev A second SRS id, for a time-series model whose SC verifier was made on another SRS.
bytes32 constant TEST_SC_SRS_ID = keccak256("zkalert/test/srs/sc");
