// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Script} from "../test/utils/Script.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";

/// @dev Shared by the deploy scripts: the broadcaster, the broadcast modifier (after sablier's
/// `Base.s.sol`) and the `deployments/<chainid>/` records the Python side reads.
abstract contract BaseScript is Script {
    /// @dev anvil's account 0; used only when PRIVATE_KEY is unset.
    uint256 internal constant ANVIL_KEY_0 = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;

    /// @notice WINDOWS_PER_PROOF does not fit the registry's uint32.
    error DeployWindowsPerProofTooLarge(uint256 windowsPerProof);
    /// @notice REGISTRY has no code on this chain.
    error DeployRegistryNotFound(address registry);
    /// @notice The broadcaster cannot register models on REGISTRY.
    error DeployNotRegistryOwner(address registry, address owner, address broadcaster);
    /// @notice COMMITMENT is neither "poseidon" nor "kzg".
    error DeployUnknownCommitment(string commitment);
    /// @notice The artifact's text has no "abi" array.
    error DeployAbiNotFound(string artifactPath);

    uint256 internal immutable _broadcasterKey;
    address internal immutable _broadcaster;

    constructor() {
        _broadcasterKey = vm.envOr("PRIVATE_KEY", ANVIL_KEY_0);
        _broadcaster = vm.addr(_broadcasterKey);
    }

    modifier broadcast() {
        vm.startBroadcast(_broadcasterKey);
        _;
        vm.stopBroadcast();
    }

    // ------------------------------------------------------------ models

    struct ModelConfig {
        string verifierArtifact;
        bytes32 modelId;
        uint256 threshold;
        uint32 windowsPerProof;
        IAlertRegistry.CommitmentScheme commitment;
    }

    /// @dev VERIFIER_ARTIFACT ("File.sol:Contract"), MODEL_ID, THRESHOLD, WINDOWS_PER_PROOF (default 1),
    /// COMMITMENT ("poseidon", the default, or "kzg").
    function _modelConfigFromEnv() internal view returns (ModelConfig memory config) {
        config.verifierArtifact = vm.envString("VERIFIER_ARTIFACT");
        config.modelId = vm.envBytes32("MODEL_ID");
        config.threshold = vm.envUint("THRESHOLD");
        uint256 windowsPerProof = vm.envOr("WINDOWS_PER_PROOF", uint256(1));
        if (windowsPerProof > type(uint32).max) revert DeployWindowsPerProofTooLarge(windowsPerProof);
        // forge-lint: disable-next-line(unsafe-typecast)
        config.windowsPerProof = uint32(windowsPerProof);
        string memory commitment = vm.envOr("COMMITMENT", string("poseidon"));
        if (keccak256(bytes(commitment)) == keccak256("poseidon")) {
            config.commitment = IAlertRegistry.CommitmentScheme.Poseidon;
        } else if (keccak256(bytes(commitment)) == keccak256("kzg")) {
            config.commitment = IAlertRegistry.CommitmentScheme.Kzg;
        } else {
            revert DeployUnknownCommitment(commitment);
        }
    }

    /// @dev Must run inside `broadcast`: the verifier is created by the broadcaster.
    function _deployAndRegisterModel(IAlertRegistry registry, ModelConfig memory config)
        internal
        returns (address verifier)
    {
        verifier = vm.deployCode(config.verifierArtifact);
        registry.registerModel(config.modelId, verifier, config.threshold, config.windowsPerProof, config.commitment);
    }

    // ------------------------------------------------------------ deployments/<chainid>/

    function _deploymentsDir() internal view returns (string memory) {
        return string.concat(vm.projectRoot(), "/deployments/", vm.toString(block.chainid));
    }

    /// @dev `block` is the block the script ran against; the registry's first log is at or after it.
    function _writeRegistryRecord(address registry, address owner, uint256 deployBlock)
        internal
        returns (string memory path)
    {
        string memory artifactPath = string.concat(vm.projectRoot(), "/out/AlertRegistry.sol/AlertRegistry.json");
        string memory abiJson = _abiOf(vm.readFile(artifactPath), artifactPath);

        string memory key = "registry";
        vm.serializeAddress(key, "address", registry);
        vm.serializeUint(key, "block", deployBlock);
        vm.serializeUint(key, "chain_id", block.chainid);
        vm.serializeAddress(key, "owner", owner);
        // a placeholder: serializeString would store the array as one string
        string memory json = vm.serializeString(key, "abi", "");

        vm.createDir(_deploymentsDir(), true);
        path = string.concat(_deploymentsDir(), "/AlertRegistry.json");
        vm.writeJson(json, path);
        // writeJson with a key parses the value, so "abi" becomes a JSON array
        vm.writeJson(abiJson, path, ".abi");
    }

    function _writeModelRecord(ModelConfig memory config, address verifier) internal returns (string memory path) {
        string memory key = "model";
        vm.serializeBytes32(key, "model_id", config.modelId);
        vm.serializeAddress(key, "verifier", verifier);
        vm.serializeString(key, "verifier_artifact", config.verifierArtifact);
        vm.serializeUint(key, "threshold", config.threshold);
        vm.serializeUint(key, "windows_per_proof", config.windowsPerProof);
        vm.serializeString(
            key, "commitment", config.commitment == IAlertRegistry.CommitmentScheme.Kzg ? "kzg" : "poseidon"
        );
        string memory json = vm.serializeUint(key, "chain_id", block.chainid);

        string memory dir = string.concat(_deploymentsDir(), "/models");
        vm.createDir(dir, true);
        path = string.concat(dir, "/", vm.toString(config.modelId), ".json");
        vm.writeJson(json, path);
    }

    /// @dev The text of the artifact's top-level "abi" array. The JSON cheatcodes return
    /// ABI-encoded values rather than JSON text, so the array is cut out of the file: from the
    /// '[' after `"abi":` to its matching ']', skipping brackets inside strings (such as "uint256[]").
    function _abiOf(string memory artifact, string memory artifactPath) internal pure returns (string memory) {
        bytes memory text = bytes(artifact);
        uint256 keyAt = vm.indexOf(artifact, "\"abi\":");
        if (keyAt == type(uint256).max) revert DeployAbiNotFound(artifactPath);

        uint256 start = keyAt + 6;
        while (start < text.length && text[start] != "[") ++start;
        uint256 depth;
        bool inString;
        for (uint256 i = start; i < text.length; ++i) {
            bytes1 char = text[i];
            if (inString) {
                if (char == "\\") ++i; // skip the escaped character
                else if (char == "\"") inString = false;
            } else if (char == "\"") {
                inString = true;
            } else if (char == "[" || char == "{") {
                ++depth;
            } else if (char == "]" || char == "}") {
                if (--depth == 0) {
                    bytes memory abiText = new bytes(i + 1 - start);
                    for (uint256 j; j < abiText.length; ++j) {
                        abiText[j] = text[start + j];
                    }
                    return string(abiText);
                }
            }
        }
        revert DeployAbiNotFound(artifactPath);
    }
}
