// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BaseScript} from "./Base.s.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";

/// @notice Deploys a model's verifier and registers it on an existing AlertRegistry; records it
/// under deployments/<chainid>/models/.
/// @dev Environment:
///   REGISTRY           the AlertRegistry (the broadcaster must own it)
///   VERIFIER_ARTIFACT  e.g. "DetectorVerifier.sol:DetectorVerifier"
///   MODEL_ID           bytes32
///   THRESHOLD          uint, in the circuit's fixed-point units
///   WINDOWS_PER_PROOF  uint (default 1)
///   COMMITMENT         "poseidon" (default) or "kzg": how the circuit commits to each window
///   SRS_ID             bytes32: the SRS id (keccak256 of [τ]G2) of the SRS the verifier was made with
///   VKA_WORDS          optional: the circuit's VKA (bytes32 words, comma-separated); the model's
///                      verifier is then a VkaVerifier over EZKL's reusable verifier
///                      (REUSABLE_VERIFIER, or a new one), VERIFIER_ARTIFACT naming VkaVerifier
///   PRIVATE_KEY        raw broadcaster key, when forge has no wallet (see Base.s.sol)
///   GATEWAY            optional: also allow this gateway
/// Usage: forge script script/RegisterModel.s.sol --rpc-url $RPC_URL --broadcast --account NAME
contract RegisterModel is BaseScript {
    function run() external broadcast returns (address verifier) {
        IAlertRegistry registry = IAlertRegistry(vm.envAddress("REGISTRY"));
        if (address(registry).code.length == 0) revert DeployRegistryNotFound(address(registry));
        address registryOwner = registry.owner();
        if (registryOwner != _broadcaster) {
            revert DeployNotRegistryOwner(address(registry), registryOwner, _broadcaster);
        }

        ModelConfig memory config = _modelConfigFromEnv();
        verifier = _deployAndRegisterModel(registry, config);
        if (vm.envExists("GATEWAY")) registry.setGateway(vm.envAddress("GATEWAY"), true);

        _writeModelRecord(config, verifier);
    }
}
