// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {BN254} from "../contracts/utils/BN254.sol";

/// @dev The moduli every contract and test reads from contracts/utils/BN254.sol, checked against the
/// EVM's own BN254 arithmetic (the ecAdd and ecMul precompiles) rather than against a second copy
/// of the digits.
contract BN254Test is Test {
    address internal constant EC_ADD = address(0x06);
    address internal constant EC_MUL = address(0x07);

    function _ecMul(uint256 x, uint256 y, uint256 scalar) internal view returns (uint256 rx, uint256 ry) {
        (bool ok, bytes memory out) = EC_MUL.staticcall(abi.encode(x, y, scalar));
        assertTrue(ok, "ecMul refused a point on the curve");
        (rx, ry) = abi.decode(out, (uint256, uint256));
    }

    /// @dev A refusal burns the gas it was given, hence the cap (ecAdd costs 150).
    function _ecAddAccepts(uint256 x, uint256 y) internal view returns (bool ok) {
        (ok,) = EC_ADD.staticcall{gas: 10_000}(abi.encode(x, y, uint256(0), uint256(0)));
    }

    /// @dev r is the order of G1: r·G is the point at infinity, (r - 1)·G = -G = (1, q - 2).
    function test_fieldModulus_isTheOrderOfG1() public view {
        (uint256 x, uint256 y) = _ecMul(1, 2, BN254.FIELD_MODULUS);
        assertEq(x, 0, "r*G: x");
        assertEq(y, 0, "r*G: y");
        (x, y) = _ecMul(1, 2, BN254.FIELD_MODULUS - 1);
        assertEq(x, 1, "(r-1)*G: x");
        assertEq(y, BN254.BASE_FIELD_MODULUS - 2, "(r-1)*G = -G: y = q - 2");
    }

    /// @dev q bounds the coordinates: (1, q - 2) is on the curve, the same point written with
    /// y + q is refused.
    function test_baseFieldModulus_boundsTheCoordinates() public view {
        assertTrue(_ecAddAccepts(1, BN254.BASE_FIELD_MODULUS - 2), "-G refused");
        assertFalse(_ecAddAccepts(1, BN254.BASE_FIELD_MODULUS + 2), "G with y + q accepted");
        assertFalse(_ecAddAccepts(BN254.BASE_FIELD_MODULUS + 1, 2), "G with x + q accepted");
    }
}
