// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BaseScript} from "./Base.s.sol";
import {TimeSeriesRegistry} from "../contracts/TimeSeriesRegistry.sol";
import {ITimeSeriesRegistry} from "../contracts/interfaces/ITimeSeriesRegistry.sol";

/// @notice Deploys a TimeSeriesRegistry owned by the broadcaster (unless TS_REGISTRY names one),
/// deploys one model's TC and SC verifiers, registers the model and allows a gateway; records
/// everything under deployments/<chainid>/ (TimeSeriesRegistry.json, ts-models/<modelId>.json).
/// @dev Environment:
///   PRIVATE_KEY            raw broadcaster key, when forge has no wallet (see Base.s.sol)
///   TS_REGISTRY            an existing registry the broadcaster owns (default: deploy a new one)
///   GATEWAY                gateway to allow (default: the broadcaster)
///   TC_VERIFIER_ARTIFACT   e.g. "TsTcVerifierReactorD16.sol:TsTcVerifierReactorD16"
///   SC_VERIFIER_ARTIFACT   e.g. "TsScVerifierReactor.sol:TsScVerifierReactor"
///   MODEL_ID               bytes32
///   KRC_PASS, RESET_COMMITMENT, CONTINUE_COMMITMENT   uint (field elements)
///   STEPS_PER_INTERVAL, INTERVALS_PER_WINDOW          uint
///   TC_SRS_ID, SC_SRS_ID   bytes32: the SRS id (keccak256 of [τ]G2) of the SRS each verifier was made with
/// Usage: forge script script/DeployTimeSeriesRegistry.s.sol --rpc-url $RPC_URL --broadcast --account NAME
contract DeployTimeSeriesRegistry is BaseScript {
    function run() external broadcast returns (address registry, address tcVerifier, address scVerifier) {
        uint256 deployBlock = block.number;
        if (vm.envExists("TS_REGISTRY")) {
            registry = vm.envAddress("TS_REGISTRY");
            if (registry.code.length == 0) revert DeployRegistryNotFound(registry);
            address registryOwner = ITimeSeriesRegistry(registry).owner();
            if (registryOwner != _broadcaster) revert DeployNotRegistryOwner(registry, registryOwner, _broadcaster);
        } else {
            registry = address(new TimeSeriesRegistry(_broadcaster));
            _writeTsRegistryRecord(registry, deployBlock);
        }

        tcVerifier = vm.deployCode(vm.envString("TC_VERIFIER_ARTIFACT"));
        scVerifier = vm.deployCode(vm.envString("SC_VERIFIER_ARTIFACT"));
        ITimeSeriesRegistry.Model memory params;
        params.tcVerifier = tcVerifier;
        params.scVerifier = scVerifier;
        params.krcPassCommitment = vm.envUint("KRC_PASS");
        params.resetCommitment = vm.envUint("RESET_COMMITMENT");
        params.continueCommitment = vm.envUint("CONTINUE_COMMITMENT");
        // forge-lint: disable-next-line(unsafe-typecast)
        params.stepsPerInterval = uint32(vm.envUint("STEPS_PER_INTERVAL"));
        // forge-lint: disable-next-line(unsafe-typecast)
        params.intervalsPerWindow = uint32(vm.envUint("INTERVALS_PER_WINDOW"));
        params.tcSrs = vm.envBytes32("TC_SRS_ID");
        params.scSrs = vm.envBytes32("SC_SRS_ID");
        bytes32 modelId = vm.envBytes32("MODEL_ID");
        ITimeSeriesRegistry(registry).registerModel(modelId, params);
        ITimeSeriesRegistry(registry).setGateway(vm.envOr("GATEWAY", _broadcaster), true);
        _writeTsModelRecord(modelId, params);
    }

    function _writeTsRegistryRecord(address registry, uint256 deployBlock) internal {
        string memory artifactPath =
            string.concat(vm.projectRoot(), "/out/TimeSeriesRegistry.sol/TimeSeriesRegistry.json");
        string memory abiJson = _abiOf(vm.readFile(artifactPath), artifactPath);
        string memory key = "ts-registry";
        vm.serializeAddress(key, "address", registry);
        vm.serializeUint(key, "block", deployBlock);
        vm.serializeUint(key, "chain_id", block.chainid);
        vm.serializeAddress(key, "owner", _broadcaster);
        string memory json = vm.serializeString(key, "abi", "");
        vm.createDir(_deploymentsDir(), true);
        string memory path = string.concat(_deploymentsDir(), "/TimeSeriesRegistry.json");
        vm.writeJson(json, path);
        vm.writeJson(abiJson, path, ".abi");
    }

    function _writeTsModelRecord(bytes32 modelId, ITimeSeriesRegistry.Model memory params) internal {
        string memory key = "ts-model";
        vm.serializeBytes32(key, "model_id", modelId);
        vm.serializeAddress(key, "tc_verifier", params.tcVerifier);
        vm.serializeAddress(key, "sc_verifier", params.scVerifier);
        vm.serializeBytes32(key, "tc_srs_id", params.tcSrs);
        vm.serializeBytes32(key, "sc_srs_id", params.scSrs);
        vm.serializeString(key, "tc_verifier_artifact", vm.envString("TC_VERIFIER_ARTIFACT"));
        vm.serializeString(key, "sc_verifier_artifact", vm.envString("SC_VERIFIER_ARTIFACT"));
        string memory json = vm.serializeUint(key, "chain_id", block.chainid);
        string memory dir = string.concat(_deploymentsDir(), "/ts-models");
        vm.createDir(dir, true);
        vm.writeJson(json, string.concat(dir, "/", vm.toString(modelId), ".json"));
    }
}
