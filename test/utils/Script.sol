// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm, VM_ADDRESS} from "./Vm.sol";

/// @dev Minimal stand-in for forge-std's `Script` (not installable offline).
abstract contract Script {
    Vm internal constant vm = Vm(VM_ADDRESS);

    /// @dev forge-std marks scripts with this flag; kept for tools that look for it.
    bool public IS_SCRIPT = true;
}
