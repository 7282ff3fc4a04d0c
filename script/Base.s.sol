// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Script} from "../test/utils/Script.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";
import {VkaVerifier} from "../contracts/VkaVerifier.sol";

/// @dev Shared by the deploy scripts: the broadcaster, the broadcast modifier (after sablier's
/// `Base.s.sol`) and the `deployments/<chainid>/` records the Python side reads.
///
/// The broadcaster is, first found first:
///   - forge's own wallet: `--keystore PATH --password-file F` or `--account NAME` (forge calls
///     `run` from the wallet's address); the scripts broadcast with `vm.startBroadcast()` and
///     never see a key;
///   - PRIVATE_KEY, a raw key in the environment (for development);
///   - anvil's account 0, on a development chain only.
/// A development chain is chain 31337 or 1337, or one listed in ZKALERT_DEV_CHAINS (comma-separated
/// chain ids). On any other chain the ten accounts of anvil's default mnemonic are refused: their
/// private keys are public. zkalert's Python side applies the same rule before it runs a script.
abstract contract BaseScript is Script {
    /// @dev anvil's account 0; used only on a development chain when no wallet is given.
    uint256 internal constant ANVIL_KEY_0 = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    /// @dev The sender forge uses when no wallet and no `--sender` is given.
    address internal constant FORGE_DEFAULT_SENDER = 0x1804c8AB1F12E6bbf3894d4083f33e07309d1f38;

    /// @notice No wallet, no PRIVATE_KEY, and the chain is not a development chain.
    error DeployNoBroadcaster(uint256 chainId);
    /// @notice One of anvil's well-known development accounts on a chain that is not for development.
    error DeployDevelopmentKeyRefused(address broadcaster, uint256 chainId);
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

    /// @dev The account the script broadcasts from, chosen when `run` starts (forge deploys the
    /// script from its default sender and calls `run` from the wallet's address).
    address internal _broadcaster;
    /// @dev 0 when forge's wallet signs (`vm.startBroadcast()` without a key).
    uint256 private _broadcasterKey;

    modifier broadcast() {
        _chooseBroadcaster();
        if (_broadcasterKey == 0) vm.startBroadcast();
        else vm.startBroadcast(_broadcasterKey);
        _;
        vm.stopBroadcast();
    }

    function _chooseBroadcaster() internal {
        uint256 envKey = vm.envOr("PRIVATE_KEY", uint256(0));
        uint256[] memory listed = vm.envOr("ZKALERT_DEV_CHAINS", ",", new uint256[](0));
        (_broadcaster, _broadcasterKey) = _broadcasterFor(msg.sender, envKey, block.chainid, listed);
    }

    /// @dev The broadcaster and its key (0: forge's wallet signs) for a script `run` called by
    /// `sender`, with PRIVATE_KEY `envKey` (0: unset) on chain `chainId`; `devChains` are the chains
    /// listed in ZKALERT_DEV_CHAINS.
    function _broadcasterFor(address sender, uint256 envKey, uint256 chainId, uint256[] memory devChains)
        internal
        pure
        returns (address broadcaster, uint256 key)
    {
        bool development = _isDevelopmentChain(chainId, devChains);
        if (sender != FORGE_DEFAULT_SENDER) {
            broadcaster = sender; // forge's wallet (--keystore, --account) or --sender
        } else if (envKey != 0) {
            key = envKey;
            broadcaster = vm.addr(key);
        } else if (development) {
            key = ANVIL_KEY_0;
            broadcaster = vm.addr(key);
        } else {
            revert DeployNoBroadcaster(chainId);
        }
        if (!development && _isWellKnownAccount(broadcaster)) {
            revert DeployDevelopmentKeyRefused(broadcaster, chainId);
        }
    }

    /// @dev 31337 (anvil, Hardhat), 1337 (geth --dev, Ganache), or one of `listed`.
    function _isDevelopmentChain(uint256 chainId, uint256[] memory listed) internal pure returns (bool) {
        if (chainId == 31337 || chainId == 1337) return true;
        for (uint256 i; i < listed.length; ++i) {
            if (listed[i] == chainId) return true;
        }
        return false;
    }

    /// @dev The accounts m/44'/60'/0'/0/0..9 of "test test test test test test test test test test
    /// test junk", funded on every fresh anvil and Hardhat node.
    function _isWellKnownAccount(address account) internal pure returns (bool) {
        return account == 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
            || account == 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
            || account == 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
            || account == 0x90F79bf6EB2c4f870365E785982E1f101E93b906
            || account == 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65
            || account == 0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc
            || account == 0x976EA74026E726554dB657fA54763abd0C3a0aa9
            || account == 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955
            || account == 0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f
            || account == 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720;
    }

    // ------------------------------------------------------------ models

    struct ModelConfig {
        string verifierArtifact;
        bytes32 modelId;
        uint256 threshold;
        uint32 windowsPerProof;
        IAlertRegistry.CommitmentScheme commitment;
        bytes32 srs;
    }

    /// @dev VERIFIER_ARTIFACT ("File.sol:Contract"), MODEL_ID, THRESHOLD, WINDOWS_PER_PROOF (default 1),
    /// COMMITMENT ("poseidon", the default, or "kzg"), SRS_ID (bytes32, the SRS id of the SRS the
    /// verifier was generated with: keccak256 of its [τ]G2, see IAlertRegistry.Model).
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
        config.srs = vm.envBytes32("SRS_ID");
    }

    /// @dev EZKL's reusable verifier, the same code for every circuit (contracts/generated).
    string internal constant REUSABLE_VERIFIER_ARTIFACT = "Halo2VerifierReusable.sol:Halo2VerifierReusable";

    /// @dev Must run inside `broadcast`: the verifier is created by the broadcaster. With VKA_WORDS
    /// (the circuit's VKA, comma-separated bytes32 words) the model's verifier is a VkaVerifier over
    /// EZKL's reusable verifier: REUSABLE_VERIFIER when it names one with code, else a new one.
    function _deployAndRegisterModel(IAlertRegistry registry, ModelConfig memory config)
        internal
        returns (address verifier)
    {
        if (vm.envExists("VKA_WORDS")) {
            address reusable = vm.envOr("REUSABLE_VERIFIER", address(0));
            if (reusable.code.length == 0) reusable = vm.deployCode(REUSABLE_VERIFIER_ARTIFACT);
            verifier = address(new VkaVerifier(reusable, vm.envBytes32("VKA_WORDS", ",")));
        } else {
            verifier = vm.deployCode(config.verifierArtifact);
        }
        registry.registerModel(
            config.modelId, verifier, config.threshold, config.windowsPerProof, config.commitment, config.srs
        );
    }

    // ------------------------------------------------------------ deployments/<chainid>/

    /// @dev `deployments/<chainid>/` of the project, or of ZKALERT_RECORDS_DIR (a folder under
    /// `deployments/`, where fs_permissions let forge write: zkalert copies the records from there
    /// to the deployments folder its configuration names).
    function _deploymentsDir() internal view returns (string memory) {
        string memory root = vm.envOr("ZKALERT_RECORDS_DIR", string.concat(vm.projectRoot(), "/deployments"));
        return string.concat(root, "/", vm.toString(block.chainid));
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
        vm.serializeBytes32(key, "srs_id", config.srs);
        if (vm.envExists("VKA_WORDS")) {
            vm.serializeAddress(key, "reusable_verifier", VkaVerifier(verifier).reusableVerifier());
            vm.serializeBytes32(key, "vka_digest", VkaVerifier(verifier).vkaDigest());
        }
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
