// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IHalo2Verifier} from "./interfaces/IHalo2Verifier.sol";
import {IHalo2VerifierReusable} from "./interfaces/IHalo2VerifierReusable.sol";

/// @title VkaVerifier
/// @notice One circuit's verifier built from EZKL's reusable verifier (the same code for every
/// circuit) and that circuit's verifying-key artifact (VKA), for circuits whose own generated
/// verifier exceeds the EIP-170 code size limit. It answers {IHalo2Verifier.verifyProof} as a
/// generated verifier does, so a registry registers it as a model's verifier.
/// @dev The VKA is kept as the code of a data contract this contract creates (a STOP byte, then
/// the VKA's words), read back with EXTCODECOPY on every proof: far cheaper than calldata. Both
/// addresses are immutables, so this contract's code hash names exactly one (reusable verifier,
/// VKA) pair, and neither can change: the data contract holds no executable code, and EZKL's
/// reusable verifier has no SELFDESTRUCT. Which code and which VKA they hold is what an audit
/// checks against the regulator's verifying key.
contract VkaVerifier is IHalo2Verifier {
    /// @notice The most words a VKA may have: one STOP byte and the words fit EIP-170's 24,576 bytes.
    uint256 public constant MAX_WORDS = 767;

    /// @notice EZKL's reusable verifier this verifier calls.
    address public immutable reusableVerifier;
    /// @notice The data contract holding the VKA's words (after one STOP byte).
    address public immutable vka;
    /// @notice keccak256 of the VKA's words: the digest the reusable verifier registered it under.
    bytes32 public immutable vkaDigest;

    /// @notice The reusable verifier address has no code.
    error VkaVerifierNoReusableVerifier(address reusableVerifier);
    /// @notice No VKA words were given.
    error VkaVerifierEmptyVka();
    /// @notice The VKA does not fit in one contract's code (EIP-170).
    error VkaVerifierVkaTooLarge(uint256 words);
    /// @notice The data contract holding the VKA could not be created.
    error VkaVerifierStoreFailed();
    /// @notice The reusable verifier registered the VKA under another digest than its keccak256.
    error VkaVerifierDigestMismatch(bytes32 registered, bytes32 computed);

    /// @param reusableVerifier_ EZKL's reusable verifier (deployed once per chain).
    /// @param words The VKA's words, as EZKL's `create_evm_vka` writes them.
    constructor(address reusableVerifier_, bytes32[] memory words) {
        if (reusableVerifier_.code.length == 0) revert VkaVerifierNoReusableVerifier(reusableVerifier_);
        if (words.length == 0) revert VkaVerifierEmptyVka();
        if (words.length > MAX_WORDS) revert VkaVerifierVkaTooLarge(words.length);
        // Runtime code of the data contract: 0x00 (STOP), then the words. Its creation code copies
        // that runtime out of itself: PUSH2 len, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY,
        // RETURNDATASIZE, RETURN (10 bytes), then the runtime.
        bytes memory runtime = abi.encodePacked(bytes1(0x00), words);
        // forge-lint: disable-next-line(unsafe-typecast)
        bytes memory creation = abi.encodePacked(hex"61", uint16(runtime.length), hex"80600a3d393df3", runtime);
        address store;
        assembly ("memory-safe") {
            store := create(0, add(creation, 0x20), mload(creation))
        }
        if (store == address(0)) revert VkaVerifierStoreFailed();
        bytes32 computed = keccak256(abi.encodePacked(words));
        bytes32 registered = IHalo2VerifierReusable(reusableVerifier_).registerVka(words);
        if (registered != computed) revert VkaVerifierDigestMismatch(registered, computed);
        reusableVerifier = reusableVerifier_;
        vka = store;
        vkaDigest = computed;
    }

    /// @inheritdoc IHalo2Verifier
    /// @dev True only when the reusable verifier answers 1 and this VKA's digest; its revert (an
    /// invalid proof) or any other answer is false.
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool) {
        bytes32[] memory words = _words();
        (bool ok, bytes memory result) = reusableVerifier.staticcall(
            abi.encodeCall(IHalo2VerifierReusable.verifyProof, (proof, instances, words))
        );
        if (!ok || result.length < 64) return false;
        (uint256 success, bytes32 digest) = abi.decode(result, (uint256, bytes32));
        return success == 1 && digest == vkaDigest;
    }

    /// @notice The VKA's words, read back from the data contract.
    function vkaWords() external view returns (bytes32[] memory) {
        return _words();
    }

    function _words() internal view returns (bytes32[] memory words) {
        address store = vka;
        uint256 size = store.code.length - 1;
        words = new bytes32[](size / 32);
        assembly ("memory-safe") {
            extcodecopy(store, add(words, 0x20), 1, size)
        }
    }
}
