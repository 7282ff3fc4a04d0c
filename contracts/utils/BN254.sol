// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title BN254
/// @notice The moduli of BN254 (alt_bn128), the curve of EZKL's Halo2 proofs and of the EVM's
/// pairing precompiles. The one place they are written out: the registries, the window log and
/// the tests read them from here (test/BN254.t.sol checks both against the precompiles).
library BN254 {
    /// @notice The scalar field modulus r (the order of G1): EZKL's public instances, and so every
    /// commitment, score and binding limb a registry accepts, are elements of this field.
    uint256 internal constant FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice The base field modulus q: the coordinates of the G1 points in a proof are elements of
    /// this field.
    uint256 internal constant BASE_FIELD_MODULUS =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
}
