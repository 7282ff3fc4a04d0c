// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BaseScript} from "./Base.s.sol";
import {WindowLog} from "../contracts/WindowLog.sol";
import {IAlertRegistry} from "../contracts/interfaces/IAlertRegistry.sol";

/// @notice Deploys the lazy policy's WindowLog bound to an existing AlertRegistry and records it in
/// deployments/<chainid>/WindowLog.json.
/// @dev Environment:
///   PRIVATE_KEY  raw broadcaster key, when forge has no wallet (see Base.s.sol); the broadcaster
///                needs no role in the registry
///   REGISTRY     the AlertRegistry whose gateways and models the log accepts
/// Usage: REGISTRY=0x.. forge script script/DeployWindowLog.s.sol --rpc-url $RPC_URL --broadcast --account NAME
contract DeployWindowLog is BaseScript {
    function run() external broadcast returns (WindowLog windowLog) {
        address registry = vm.envAddress("REGISTRY");
        if (registry.code.length == 0) revert DeployRegistryNotFound(registry);
        uint256 deployBlock = block.number;
        windowLog = new WindowLog(IAlertRegistry(registry));
        _writeWindowLogRecord(address(windowLog), registry, deployBlock);
    }

    function _writeWindowLogRecord(address windowLog, address registry, uint256 deployBlock) internal {
        string memory artifactPath = string.concat(vm.projectRoot(), "/out/WindowLog.sol/WindowLog.json");
        string memory abiJson = _abiOf(vm.readFile(artifactPath), artifactPath);

        string memory key = "windowLog";
        vm.serializeAddress(key, "address", windowLog);
        vm.serializeAddress(key, "registry", registry);
        vm.serializeUint(key, "block", deployBlock);
        vm.serializeUint(key, "chain_id", block.chainid);
        string memory json = vm.serializeString(key, "abi", "");

        vm.createDir(_deploymentsDir(), true);
        string memory path = string.concat(_deploymentsDir(), "/WindowLog.json");
        vm.writeJson(json, path);
        vm.writeJson(abiJson, path, ".abi");
    }
}
