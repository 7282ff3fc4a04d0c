// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BaseScript} from "./Base.s.sol";
import {AlertRegistry} from "../contracts/AlertRegistry.sol";

/// @notice Deploys an AlertRegistry owned by the broadcaster, optionally one model's verifier, and
/// allows a gateway; records everything under deployments/<chainid>/.
/// @dev Environment:
///   VKA_WORDS          optional: the circuit's VKA (bytes32 words, comma-separated); the model's
///                      verifier is then a VkaVerifier over EZKL's reusable verifier
///                      (REUSABLE_VERIFIER, or a new one), VERIFIER_ARTIFACT naming VkaVerifier
///   PRIVATE_KEY        raw broadcaster key, when forge has no wallet (see Base.s.sol: a wallet
///                      --keystore/--account, else PRIVATE_KEY, else anvil account 0 on a dev chain)
///   GATEWAY            gateway to allow (default: the broadcaster)
///   VERIFIER_ARTIFACT  e.g. "DetectorVerifier.sol:DetectorVerifier"; when set, also deploys it and
///                      registers it with MODEL_ID (bytes32), THRESHOLD (uint), WINDOWS_PER_PROOF
///                      (uint, default 1), COMMITMENT ("poseidon", default, or "kzg") and
///                      SRS_ID (bytes32: the SRS id of the SRS the verifier was generated with)
/// Usage: forge script script/DeployAlertRegistry.s.sol --rpc-url $RPC_URL --broadcast --account NAME
contract DeployAlertRegistry is BaseScript {
    function run() external broadcast returns (AlertRegistry registry, address verifier) {
        uint256 deployBlock = block.number;
        registry = new AlertRegistry(_broadcaster);

        ModelConfig memory config;
        if (vm.envExists("VERIFIER_ARTIFACT")) {
            config = _modelConfigFromEnv();
            verifier = _deployAndRegisterModel(registry, config);
        }

        registry.setGateway(vm.envOr("GATEWAY", _broadcaster), true);

        _writeRegistryRecord(address(registry), _broadcaster, deployBlock);
        if (verifier != address(0)) _writeModelRecord(config, verifier);
    }
}
