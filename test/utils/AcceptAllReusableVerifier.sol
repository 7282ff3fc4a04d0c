// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev What a dishonest owner could put behind a VkaVerifier instead of EZKL's reusable verifier:
/// it registers any VKA and answers every proof as valid, in the reusable verifier's own return
/// layout. The chain accepts it; the regulator's audit must name it (py/tests/test_vka.py).
contract AcceptAllReusableVerifier {
    function registerVka(bytes32[] memory vka) external pure returns (bytes32) {
        return keccak256(abi.encodePacked(vka));
    }

    function verifyProof(bytes calldata, uint256[] calldata, bytes32[] memory vka)
        external
        pure
        returns (bool, bytes32, int256[] memory)
    {
        return (true, keccak256(abi.encodePacked(vka)), new int256[](0));
    }
}
