// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ProofFixtures} from "./utils/ProofFixtures.sol";
import {TimeSeriesRegistry} from "../contracts/TimeSeriesRegistry.sol";
import {ITimeSeriesRegistry} from "../contracts/interfaces/ITimeSeriesRegistry.sol";
import {BN254} from "../contracts/utils/BN254.sol";
import {SloppyVerifier} from "./utils/MockHalo2Verifier.sol";
import {TEST_SC_SRS_ID, TEST_SRS_ID} from "./utils/SrsIds.sol";

/// @dev Time-series mode against real EZKL proofs (test/fixtures/ts, made by `make fixtures-ts`)
/// and their generated verifiers: an honest stream of 4 TC intervals (D = 1) and 2 SC windows
/// (W = 2), and each attack refused with its own error while the stream stays unchanged.
contract TimeSeriesRegistryTest is ProofFixtures {
    TimeSeriesRegistry internal registry;
    address internal tcVerifier;
    address internal scVerifier;
    address internal gateway;
    bytes32 internal constant STREAM = keccak256("te/reactor/fault-04");
    bytes32 internal modelId;
    string internal modelJson;

    function setUp() public {
        modelJson = vm.readFile(string.concat(TS_FIXTURES, "model.json"));
        modelId = vm.parseJsonBytes32(modelJson, ".model_id");
        gateway = makeAddr("gateway");
        registry = new TimeSeriesRegistry(address(this));
        tcVerifier = vm.deployCode(TS_TC_VERIFIER);
        scVerifier = vm.deployCode(TS_SC_VERIFIER);
        registry.registerModel(modelId, _modelParams(tcVerifier, scVerifier));
        registry.setGateway(gateway, true);
        registry.openStream(
            STREAM,
            modelId,
            gateway,
            vm.parseJsonUint(modelJson, ".genesis_state"),
            vm.parseJsonUint(modelJson, ".genesis_acc")
        );
    }

    // ------------------------------------------------------------ helpers

    function _modelParams(address tc, address sc) internal view returns (ITimeSeriesRegistry.Model memory params) {
        params.tcVerifier = tc;
        params.scVerifier = sc;
        params.krcPassCommitment = vm.parseJsonUint(modelJson, ".krc_pass");
        params.resetCommitment = vm.parseJsonUint(modelJson, ".reset");
        params.continueCommitment = vm.parseJsonUint(modelJson, ".continue");
        params.stepsPerInterval = uint32(vm.parseJsonUint(modelJson, ".steps_per_interval"));
        params.intervalsPerWindow = uint32(vm.parseJsonUint(modelJson, ".intervals_per_window"));
        params.tcSrs = TEST_SRS_ID;
        params.scSrs = TEST_SC_SRS_ID;
    }

    function _interval(string memory name) internal returns (bytes32) {
        TsFixture memory f = _loadTsFixture(name);
        vm.prank(gateway);
        return registry.submitInterval(STREAM, f.proof, f.instances);
    }

    function _window(string memory name, uint64 index) internal returns (bytes32) {
        TsFixture memory f = _loadTsFixture(name);
        vm.prank(gateway);
        return registry.submitWindow(STREAM, index, f.proof, f.instances);
    }

    function _honestStream() internal {
        _interval("tc0");
        _interval("tc1");
        _interval("tc2");
        _interval("tc3");
        _window("sc0", 0);
        _window("sc1", 1);
    }

    /// @dev The stream record, to compare before and after a refused submission.
    function _record() internal view returns (bytes32) {
        ITimeSeriesRegistry.Stream memory s = registry.stream(STREAM);
        return keccak256(abi.encode(s));
    }

    // ------------------------------------------------------------ honest stream

    function test_submitInterval_honestChainRecordsEveryWindow() public {
        _honestStream();
        ITimeSeriesRegistry.Stream memory s = registry.stream(STREAM);
        assertEq(uint256(s.intervals), 4);
        assertEq(uint256(s.windowsRecorded), 2);
        assertEq(s.stateHead, _loadTsFixture("tc3").instances[4], "state head is the last state out");
        for (uint64 j; j < 2; ++j) {
            TsFixture memory sc = _loadTsFixture(j == 0 ? "sc0" : "sc1");
            ITimeSeriesRegistry.Window memory w = registry.window(STREAM, j);
            assertTrue(w.closed && w.recorded, "window recorded");
            assertEq(w.alarm, sc.instances[3] == 1, "alarm as proven");
            assertEq(w.t2, sc.instances[2], "T2 as proven");
            assertEq(w.accEnd, sc.instances[0], "accumulator of the window's last TC proof");
            assertEq(w.modelId, modelId);
        }
    }

    function test_submitInterval_logHashChainsEveryRecord() public {
        TsFixture memory f = _loadTsFixture("tc0");
        bytes32 expected = keccak256(abi.encode(bytes32(0), uint8(0), STREAM, uint64(0), modelId, f.instances));
        assertEq(_interval("tc0"), expected);
        assertEq(registry.stream(STREAM).logHead, expected);
    }

    // ------------------------------------------------------------ attacks on the chain of proofs

    function test_RevertWhen_replayingAnOldInterval() public {
        _interval("tc0");
        _interval("tc1");
        bytes32 before = _record();
        TsFixture memory f = _loadTsFixture("tc0");
        bytes32 statement = keccak256(abi.encode(f.instances));
        vm.expectRevert(abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryReplay.selector, statement));
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
        assertEq(_record(), before, "stream unchanged");
    }

    function test_RevertWhen_startingFromAStaleState() public {
        _interval("tc0");
        _interval("tc1");
        bytes32 before = _record();
        TsFixture memory fork = _loadTsFixture("tc0_fork"); // a valid proof from the genesis state, other nonces
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryStaleState.selector,
                STREAM,
                uint64(2),
                registry.stream(STREAM).stateHead,
                fork.instances[0]
            )
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, fork.proof, fork.instances);
        assertEq(_record(), before, "stream unchanged");
    }

    function test_RevertWhen_startingFromAForgedState() public {
        bytes32 before = _record();
        TsFixture memory forged = _loadTsFixture("tcb0"); // a valid proof from another genesis
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryStateLinkBroken.selector,
                STREAM,
                uint64(0),
                vm.parseJsonUint(modelJson, ".genesis_state"),
                forged.instances[0]
            )
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, forged.proof, forged.instances);
        assertEq(_record(), before, "stream unchanged");
    }

    function test_RevertWhen_skippingAnInterval() public {
        _interval("tc0");
        bytes32 before = _record();
        TsFixture memory f = _loadTsFixture("tc2"); // interval 2's proof while interval 1 is not recorded
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryStateLinkBroken.selector,
                STREAM,
                uint64(1),
                _loadTsFixture("tc0").instances[4],
                f.instances[0]
            )
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
        assertEq(_record(), before, "stream unchanged");
    }

    function test_RevertWhen_scResidualsDoNotComeFromTheWindowsChain() public {
        _interval("tc0");
        _interval("tc1");
        _interval("tc2");
        _interval("tc3");
        bytes32 before = _record();
        TsFixture memory f = _loadTsFixture("sc1"); // window 1's residuals offered for window 0
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryResidualsNotFromChain.selector,
                STREAM,
                uint64(0),
                _loadTsFixture("tc1").instances[5],
                f.instances[0]
            )
        );
        vm.prank(gateway);
        registry.submitWindow(STREAM, 0, f.proof, f.instances);
        assertEq(_record(), before, "stream unchanged");
        assertFalse(registry.window(STREAM, 0).recorded);
    }

    function test_RevertWhen_proofUnderAnUnregisteredKey() public {
        bytes32 before = _record();
        TsFixture memory f = _loadTsFixture("tc0_otherkey"); // same genesis, another circuit's key
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryInvalidProof.selector, modelId, uint8(0))
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
        assertEq(_record(), before, "stream unchanged");
    }

    /// @dev The state links, the accumulator is one the stream never had (a restarted window sum).
    function test_RevertWhen_accumulatorDoesNotContinueTheStreams() public {
        bytes32 before = _record();
        TsFixture memory f = _loadTsFixture("tc0");
        uint256 genesisAcc = vm.parseJsonUint(modelJson, ".genesis_acc");
        f.instances[1] = genesisAcc ^ 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryAccLinkBroken.selector, STREAM, uint64(0), genesisAcc, f.instances[1]
            )
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
        assertEq(_record(), before, "stream unchanged");
    }

    /// @dev An SC proof claiming a failed SVD check, or an alarm that is not 0/1, is refused
    /// before its verification.
    function test_RevertWhen_scClaimsAFailedSvdOrANonBooleanAlarm() public {
        _interval("tc0");
        _interval("tc1");
        bytes32 before = _record();
        TsFixture memory f = _loadTsFixture("sc0");
        f.instances[4] = 0;
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistrySvdCheckFailed.selector, STREAM, uint64(0), 0)
        );
        vm.prank(gateway);
        registry.submitWindow(STREAM, 0, f.proof, f.instances);
        f = _loadTsFixture("sc0");
        f.instances[3] = 2;
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryAlarmNotBoolean.selector, STREAM, uint64(0), 2)
        );
        vm.prank(gateway);
        registry.submitWindow(STREAM, 0, f.proof, f.instances);
        assertEq(_record(), before, "stream unchanged");
        assertFalse(registry.window(STREAM, 0).recorded);
    }

    function test_RevertWhen_alarmFlippedInTheInstances() public {
        _interval("tc0");
        _interval("tc1");
        bytes32 before = _record();
        TsFixture memory f = _loadTsFixture("sc0");
        f.instances[3] = 1 - f.instances[3];
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryInvalidProof.selector, modelId, uint8(1))
        );
        vm.prank(gateway);
        registry.submitWindow(STREAM, 0, f.proof, f.instances);
        assertEq(_record(), before, "stream unchanged");
        assertFalse(registry.window(STREAM, 0).recorded);
    }

    function test_RevertWhen_kalmanGainCheckFailed() public {
        _interval("tc0");
        _interval("tc1");
        bytes32 before = _record();
        TsFixture memory f = _loadTsFixture("tc2_badgain"); // a valid proof whose KRC verdict is "failed"
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryKrcCheckFailed.selector, STREAM, uint64(2), f.instances[6]
            )
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
        assertEq(_record(), before, "stream unchanged");
    }

    // ------------------------------------------------------------ further checks

    function test_RevertWhen_verifierCodeChanged() public {
        bytes32 registered = registry.model(modelId).tcCodehash;
        vm.etch(tcVerifier, scVerifier.code);
        TsFixture memory f = _loadTsFixture("tc0");
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryVerifierChanged.selector,
                modelId,
                tcVerifier,
                registered,
                scVerifier.codehash
            )
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
    }

    /// @dev The owner registers a verifier that answers something other than exactly `true`: a real
    /// TC proof is still refused (2 is not true, 1 in two words is not one bool, no words is nothing).
    function test_RevertWhen_verifierAnswersOtherThanTrue() public {
        TsFixture memory f = _loadTsFixture("tc0");
        uint256[2][3] memory answers = [[uint256(2), 1], [uint256(1), 2], [uint256(1), 0]];
        for (uint256 i; i < answers.length; ++i) {
            TimeSeriesRegistry sloppyRegistry = new TimeSeriesRegistry(address(this));
            address sloppy = address(new SloppyVerifier(answers[i][0], answers[i][1]));
            sloppyRegistry.registerModel(modelId, _modelParams(sloppy, scVerifier));
            sloppyRegistry.setGateway(gateway, true);
            sloppyRegistry.openStream(
                STREAM,
                modelId,
                gateway,
                vm.parseJsonUint(modelJson, ".genesis_state"),
                vm.parseJsonUint(modelJson, ".genesis_acc")
            );
            vm.expectRevert(
                abi.encodeWithSelector(
                    ITimeSeriesRegistry.TimeSeriesRegistryInvalidProof.selector, modelId, uint8(0)
                )
            );
            vm.prank(gateway);
            sloppyRegistry.submitInterval(STREAM, f.proof, f.instances);
        }
    }

    function test_RevertWhen_resetOutsideAWindowStart() public {
        _interval("tc0");
        TsFixture memory f = _loadTsFixture("tc1");
        uint256 reset = vm.parseJsonUint(modelJson, ".reset");
        f.instances[3] = reset;
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryResetMismatch.selector,
                STREAM,
                uint64(1),
                vm.parseJsonUint(modelJson, ".continue"),
                reset
            )
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
    }

    function test_RevertWhen_windowNotClosed() public {
        _interval("tc0");
        TsFixture memory f = _loadTsFixture("sc0");
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryWindowOpen.selector, STREAM, uint64(0), uint64(1)
            )
        );
        vm.prank(gateway);
        registry.submitWindow(STREAM, 0, f.proof, f.instances);
    }

    function test_RevertWhen_windowRecordedTwice() public {
        _honestStream();
        TsFixture memory f = _loadTsFixture("sc0");
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryWindowRecorded.selector, STREAM, uint64(0))
        );
        vm.prank(gateway);
        registry.submitWindow(STREAM, 0, f.proof, f.instances);
    }

    function test_RevertWhen_callerIsNotTheStreamsGateway() public {
        TsFixture memory f = _loadTsFixture("tc0");
        address intruder = makeAddr("intruder");
        registry.setGateway(intruder, true);
        vm.expectRevert(abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryUnknownGateway.selector, intruder));
        vm.prank(intruder);
        registry.submitInterval(STREAM, f.proof, f.instances);
    }

    function test_RevertWhen_instanceCountWrong() public {
        TsFixture memory f = _loadTsFixture("sc0");
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryInstanceCount.selector, uint256(7), uint256(5))
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
    }

    function testFuzz_submitInterval_RevertWhen_instanceOutOfField(uint256 index, uint256 value) public {
        index = bound(index, 0, 6);
        value = bound(value, BN254.FIELD_MODULUS, type(uint256).max);
        TsFixture memory f = _loadTsFixture("tc0");
        f.instances[index] = value;
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryInstanceOutOfField.selector, index, value)
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
    }

    // ------------------------------------------------------------ model rotation

    /// @dev Registers the other detector (its own TC verifier, the shared SC verifier).
    function _registerOther() internal returns (bytes32 otherModel) {
        otherModel = vm.parseJsonBytes32(modelJson, ".other_model_id");
        address otherTc = vm.deployCode(TS_OTHER_TC_VERIFIER);
        registry.registerModel(otherModel, _modelParams(otherTc, scVerifier));
    }

    function _genesisB() internal view returns (uint256 state, uint256 acc) {
        state = vm.parseJsonUint(modelJson, ".genesis_state_b");
        acc = vm.parseJsonUint(modelJson, ".genesis_acc_b");
    }

    function test_rotateModel_approvedRotationIsLoggedAndTheNextProofLinks() public {
        _honestStream();
        bytes32 otherModel = _registerOther();
        (uint256 genesisB, uint256 accB) = _genesisB();
        vm.expectEmit(address(registry));
        emit ITimeSeriesRegistry.RotationApproved(STREAM, otherModel, genesisB, accB);
        registry.approveRotation(STREAM, otherModel, genesisB, accB);
        vm.expectEmit(address(registry));
        emit ITimeSeriesRegistry.ModelRotated(STREAM, modelId, otherModel, 4, genesisB, accB);
        vm.prank(gateway);
        registry.rotateModel(STREAM, otherModel, genesisB, accB);
        ITimeSeriesRegistry.Stream memory s = registry.stream(STREAM);
        assertEq(s.modelId, otherModel);
        assertEq(uint256(s.firstInterval), 4);
        assertEq(uint256(s.firstWindow), 2);
        assertEq(registry.pendingRotation(STREAM), bytes32(0), "the approval is used up");
        // the first interval under the other model starts from the approved genesis
        _interval("tcb0_otherkey");
        assertEq(uint256(registry.stream(STREAM).intervals), 5);
    }

    /// @dev The gateway's rotation is refused as not approved and leaves the stream as it was.
    function _rotationRefusedAsUnapproved(bytes32 model, uint256 state, uint256 acc) internal {
        bytes32 before = _record();
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryRotationNotApproved.selector, STREAM, model, state, acc
            )
        );
        vm.prank(gateway);
        registry.rotateModel(STREAM, model, state, acc);
        assertEq(_record(), before, "stream unchanged");
    }

    /// @dev The state-reset attack: the gateway restarts its filter from a state of its choosing.
    function test_RevertWhen_gatewayRotatesWithoutApproval() public {
        _honestStream();
        bytes32 otherModel = _registerOther();
        (uint256 genesisB, uint256 accB) = _genesisB();
        _rotationRefusedAsUnapproved(otherModel, genesisB, accB);
    }

    function test_RevertWhen_rotationDiffersFromTheApprovedGenesis() public {
        _honestStream();
        bytes32 otherModel = _registerOther();
        (uint256 genesisB, uint256 accB) = _genesisB();
        registry.approveRotation(STREAM, otherModel, genesisB, accB);
        // a state of the gateway's choosing, e.g. an inflated covariance
        _rotationRefusedAsUnapproved(otherModel, genesisB ^ 1, accB);
    }

    function test_RevertWhen_rotatingToTheSameModel() public {
        _honestStream();
        (uint256 genesisB, uint256 accB) = _genesisB();
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistrySameModel.selector, STREAM, modelId)
        );
        registry.approveRotation(STREAM, modelId, genesisB, accB);
        _rotationRefusedAsUnapproved(modelId, genesisB, accB);
    }

    function test_RevertWhen_rotatingBackToAStateTheStreamMovedPast() public {
        _honestStream();
        bytes32 otherModel = _registerOther();
        uint256 genesisA = vm.parseJsonUint(modelJson, ".genesis_state");
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryGenesisStale.selector, STREAM, genesisA)
        );
        registry.approveRotation(STREAM, otherModel, genesisA, vm.parseJsonUint(modelJson, ".genesis_acc"));
    }

    function test_RevertWhen_approvalByNonOwner() public {
        bytes32 otherModel = _registerOther();
        (uint256 genesisB, uint256 accB) = _genesisB();
        vm.expectRevert(abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryUnauthorized.selector, gateway));
        vm.prank(gateway);
        registry.approveRotation(STREAM, otherModel, genesisB, accB);
    }

    /// @dev Owner mistakes at registration and handover: a verifier without code, a model of no
    /// steps or no intervals, the zero address as owner.
    function test_RevertWhen_ownerRegistersAnUnusableModelOrHandsOverToNobody() public {
        address nothing = makeAddr("no code here");
        bytes4 invalidVerifier = ITimeSeriesRegistry.TimeSeriesRegistryInvalidVerifier.selector;
        vm.expectRevert(abi.encodeWithSelector(invalidVerifier, nothing));
        registry.registerModel(keccak256("m/tc"), _modelParams(nothing, scVerifier));
        vm.expectRevert(abi.encodeWithSelector(invalidVerifier, nothing));
        registry.registerModel(keccak256("m/sc"), _modelParams(tcVerifier, nothing));
        ITimeSeriesRegistry.Model memory params = _modelParams(tcVerifier, scVerifier);
        params.intervalsPerWindow = 0;
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryInvalidShape.selector, params.stepsPerInterval, uint32(0)
            )
        );
        registry.registerModel(keccak256("m/shape"), params);
        bytes4 invalidOwner = ITimeSeriesRegistry.TimeSeriesRegistryInvalidOwner.selector;
        vm.expectRevert(abi.encodeWithSelector(invalidOwner, address(0)));
        registry.transferOwnership(address(0));
        vm.expectRevert(abi.encodeWithSelector(invalidOwner, address(0)));
        new TimeSeriesRegistry(address(0));
        assertEq(registry.owner(), address(this));
        assertEq(registry.model(keccak256("m/shape")).tcVerifier, address(0), "nothing registered");
    }

    /// @dev The twin-model replay: a second id over the same TC verifier code is refused, whether
    /// the owner passes the same deployment or a second deployment of the same code.
    function test_RevertWhen_registeringATwinModel() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryVerifierInUse.selector, tcVerifier, modelId)
        );
        registry.registerModel(keccak256("twin"), _modelParams(tcVerifier, scVerifier));
        address copy = vm.deployCode(TS_TC_VERIFIER);
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryVerifierInUse.selector, copy, modelId)
        );
        registry.registerModel(keccak256("twin"), _modelParams(copy, scVerifier));
    }

    /// @dev After a rotation the stream's recorded history cannot be submitted again.
    function test_RevertWhen_replayingHistoryAfterARotation() public {
        _honestStream();
        bytes32 otherModel = _registerOther();
        (uint256 genesisB, uint256 accB) = _genesisB();
        registry.approveRotation(STREAM, otherModel, genesisB, accB);
        vm.prank(gateway);
        registry.rotateModel(STREAM, otherModel, genesisB, accB);
        bytes32 before = _record();
        TsFixture memory f = _loadTsFixture("tc0");
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryReplay.selector, keccak256(abi.encode(f.instances))
            )
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
        assertEq(_record(), before, "stream unchanged");
    }

    function test_RevertWhen_rotatingWithAWindowUnproven() public {
        _interval("tc0");
        _interval("tc1");
        bytes32 otherModel = _registerOther();
        (uint256 genesisB, uint256 accB) = _genesisB();
        registry.approveRotation(STREAM, otherModel, genesisB, accB);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryRotationNotAtBoundary.selector, STREAM, uint64(2), uint64(0)
            )
        );
        vm.prank(gateway);
        registry.rotateModel(STREAM, otherModel, genesisB, accB);
    }

    /// @dev The owner approves a genesis the stream has not reached yet; by the time the gateway
    /// rotates, the stream is at that state: a restart from its own head is refused.
    function test_RevertWhen_approvedGenesisWasReachedBeforeTheRotation() public {
        bytes32 otherModel = _registerOther();
        _interval("tc0");
        uint256 reached = _loadTsFixture("tc1").instances[4];
        uint256 acc = _loadTsFixture("tc1").instances[5];
        registry.approveRotation(STREAM, otherModel, reached, acc);
        _interval("tc1");
        _window("sc0", 0);
        bytes32 before = _record();
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryGenesisStale.selector, STREAM, reached)
        );
        vm.prank(gateway);
        registry.rotateModel(STREAM, otherModel, reached, acc);
        assertEq(_record(), before, "stream unchanged");
    }

    /// @dev A newer approval replaces the pending one: the older can no longer be carried out.
    function test_RevertWhen_rotatingToASupersededApproval() public {
        _honestStream();
        bytes32 otherModel = _registerOther();
        (uint256 genesisB, uint256 accB) = _genesisB();
        registry.approveRotation(STREAM, otherModel, genesisB, accB);
        registry.approveRotation(STREAM, otherModel, genesisB, accB ^ 1);
        _rotationRefusedAsUnapproved(otherModel, genesisB, accB);
        vm.prank(gateway);
        registry.rotateModel(STREAM, otherModel, genesisB, accB ^ 1);
        assertEq(registry.stream(STREAM).modelId, otherModel);
    }

    function test_RevertWhen_approvingARotationOfAnUnknownStreamOrToAnUnknownModel() public {
        (uint256 genesisB, uint256 accB) = _genesisB();
        bytes32 unknownStream = keccak256("te/reactor/never-opened");
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryUnknownStream.selector, unknownStream)
        );
        registry.approveRotation(unknownStream, modelId, genesisB, accB);
        bytes32 unknownModel = keccak256("model/unregistered");
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryUnknownModel.selector, unknownModel)
        );
        registry.approveRotation(STREAM, unknownModel, genesisB, accB);
        assertEq(registry.pendingRotation(STREAM), bytes32(0));
    }

    // ------------------------------------------------------------ stream ownership

    // ------------------------------------------------------------ one state, one stream

    bytes32 internal constant RIVAL_STREAM = keccak256("te/reactor/rival");

    /// @dev A second stream for a rival gateway, opened from genesis B (the fixtures' other genesis).
    function _rivalStream() internal returns (address rival) {
        rival = makeAddr("rival");
        registry.setGateway(rival, true);
        (uint256 genesisB, uint256 accB) = _genesisB();
        registry.openStream(RIVAL_STREAM, modelId, rival, genesisB, accB);
    }

    /// @dev A rival copies the victim's pending interval into its own stream: the proof starts from
    /// the victim's state, which only the victim's stream holds; the victim's own submission lands.
    function test_RevertWhen_rivalCopiesAPendingIntervalIntoItsOwnStream() public {
        address rival = _rivalStream();
        TsFixture memory f = _loadTsFixture("tc0");
        (uint256 genesisB,) = _genesisB();
        ITimeSeriesRegistry.Stream memory rivalBefore = registry.stream(RIVAL_STREAM);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryStateLinkBroken.selector,
                RIVAL_STREAM,
                uint64(0),
                genesisB,
                f.instances[0]
            )
        );
        vm.prank(rival);
        registry.submitInterval(RIVAL_STREAM, f.proof, f.instances);
        assertEq(keccak256(abi.encode(registry.stream(RIVAL_STREAM))), keccak256(abi.encode(rivalBefore)));
        _interval("tc0"); // the victim's transaction still lands
        assertEq(registry.stream(STREAM).stateHead, f.instances[4]);
        assertEq(registry.stateHolder(f.instances[4]), STREAM);
        assertEq(registry.stateHolder(f.instances[0]), STREAM);
        assertEq(registry.stateHolder(genesisB), RIVAL_STREAM);
    }

    /// @dev A careless owner opens a second stream from the genesis of an existing one (which would
    /// let either stream's proofs be recorded in the other): refused.
    function test_RevertWhen_openingAStreamFromAnotherStreamsGenesis() public {
        address rival = makeAddr("rival");
        registry.setGateway(rival, true);
        uint256 genesis = vm.parseJsonUint(modelJson, ".genesis_state");
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryStateInUse.selector, RIVAL_STREAM, genesis, STREAM
            )
        );
        registry.openStream(RIVAL_STREAM, modelId, rival, genesis, vm.parseJsonUint(modelJson, ".genesis_acc"));
        assertEq(registry.stream(RIVAL_STREAM).gateway, address(0));
    }

    /// @dev ... nor approve a rival stream's rotation to a state another stream holds (its head, or
    /// one it moved past), whatever the rival proposes.
    function test_RevertWhen_rotationGenesisIsAnotherStreamsState() public {
        _rivalStream();
        bytes32 otherModel = _registerOther();
        _interval("tc0");
        uint256 head = _loadTsFixture("tc0").instances[4];
        uint256 past = vm.parseJsonUint(modelJson, ".genesis_state");
        bytes4 inUse = ITimeSeriesRegistry.TimeSeriesRegistryStateInUse.selector;
        vm.expectRevert(abi.encodeWithSelector(inUse, RIVAL_STREAM, head, STREAM));
        registry.approveRotation(RIVAL_STREAM, otherModel, head, 1);
        vm.expectRevert(abi.encodeWithSelector(inUse, RIVAL_STREAM, past, STREAM));
        registry.approveRotation(RIVAL_STREAM, otherModel, past, 1);
        assertEq(registry.pendingRotation(RIVAL_STREAM), bytes32(0));
    }

    /// @dev A state another stream holds cannot be reached either: an owner who opened a stream
    /// from the victim's next state (seen in the mempool) blocks that proof only; the victim
    /// proves the interval again with fresh nonces and goes on.
    function test_RevertWhen_intervalEndsInAStateAnotherStreamHolds() public {
        address rival = makeAddr("rival");
        registry.setGateway(rival, true);
        TsFixture memory f = _loadTsFixture("tc0");
        registry.openStream(RIVAL_STREAM, modelId, rival, f.instances[4], f.instances[5]);
        bytes32 before = _record();
        vm.expectRevert(
            abi.encodeWithSelector(
                ITimeSeriesRegistry.TimeSeriesRegistryStateInUse.selector, STREAM, f.instances[4], RIVAL_STREAM
            )
        );
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
        assertEq(_record(), before, "stream unchanged");
        _interval("tc0_fork"); // the same interval, other nonces
        assertEq(registry.stream(STREAM).intervals, 1);
    }

    function test_RevertWhen_openingTheZeroStream() public {
        (uint256 genesisB, uint256 accB) = _genesisB();
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryInvalidStream.selector, bytes32(0))
        );
        registry.openStream(bytes32(0), modelId, gateway, genesisB, accB);
    }

    /// @dev Only the owner opens streams: a rival cannot front-run a stream's opening.
    function test_RevertWhen_aGatewayOpensAStream() public {
        address rival = makeAddr("rival");
        registry.setGateway(rival, true);
        bytes32 victim = keccak256("te/reactor/fault-05");
        vm.expectRevert(abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryUnauthorized.selector, rival));
        vm.prank(rival);
        registry.openStream(victim, modelId, rival, 1, 2);
        assertEq(registry.stream(victim).gateway, address(0));
    }

    function test_RevertWhen_openingAStreamTwice() public {
        vm.expectRevert(abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryStreamExists.selector, STREAM));
        registry.openStream(STREAM, modelId, gateway, 1, 2);
    }

    function test_RevertWhen_openingAStreamForAnUnknownGateway() public {
        address stranger = makeAddr("stranger");
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryInvalidGateway.selector, stranger)
        );
        registry.openStream(keccak256("s2"), modelId, stranger, 1, 2);
    }

    /// @dev Every owner action, tried by any other account (a gateway, a rival, a stranger).
    function testFuzz_RevertWhen_ownerActionIsCalledByAnotherAccount(address caller) public {
        vm.assume(caller != address(this));
        (uint256 genesisB, uint256 accB) = _genesisB();
        bytes4 unauthorized = ITimeSeriesRegistry.TimeSeriesRegistryUnauthorized.selector;
        vm.startPrank(caller);
        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        registry.openStream(keccak256("s/new"), modelId, caller, genesisB, accB);
        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        registry.setStreamGateway(STREAM, caller);
        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        registry.approveRotation(STREAM, modelId, genesisB, accB);
        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        registry.setGateway(caller, true);
        vm.expectRevert(abi.encodeWithSelector(unauthorized, caller));
        registry.transferOwnership(caller);
        bytes4 notPending = ITimeSeriesRegistry.TimeSeriesRegistryNotPendingOwner.selector;
        vm.expectRevert(abi.encodeWithSelector(notPending, caller, address(0)));
        registry.acceptOwnership();
        vm.stopPrank();
        assertEq(registry.stream(STREAM).gateway, gateway, "stream kept its gateway");
        assertEq(registry.pendingRotation(STREAM), bytes32(0), "no approval");
        assertEq(registry.owner(), address(this), "owner kept");
    }

    function test_RevertWhen_handingAStreamToAnAccountThatIsNoGateway() public {
        address stranger = makeAddr("stranger");
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryInvalidGateway.selector, stranger)
        );
        registry.setStreamGateway(STREAM, stranger);
        bytes32 unknownStream = keccak256("te/reactor/never-opened");
        vm.expectRevert(
            abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryUnknownStream.selector, unknownStream)
        );
        registry.setStreamGateway(unknownStream, gateway);
        assertEq(registry.stream(STREAM).gateway, gateway);
    }

    function test_setStreamGateway_ownerHandsTheStreamToAReplacement() public {
        _interval("tc0");
        address replacement = makeAddr("replacement");
        registry.setGateway(replacement, true);
        vm.expectEmit(address(registry));
        emit ITimeSeriesRegistry.StreamGatewaySet(STREAM, gateway, replacement);
        registry.setStreamGateway(STREAM, replacement);
        TsFixture memory f = _loadTsFixture("tc1");
        vm.expectRevert(abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryUnknownGateway.selector, gateway));
        vm.prank(gateway);
        registry.submitInterval(STREAM, f.proof, f.instances);
        vm.prank(replacement);
        registry.submitInterval(STREAM, f.proof, f.instances);
        assertEq(uint256(registry.stream(STREAM).intervals), 2);
    }

    /// @dev Each verifier's SRS id is recorded as given, returned by model() and emitted, beside
    /// the code hashes the registry pins.
    function test_registerModel_recordsAndEmitsEachVerifiersSrs() public {
        bytes32 otherModel = vm.parseJsonBytes32(modelJson, ".other_model_id");
        address otherTc = vm.deployCode(TS_OTHER_TC_VERIFIER);
        ITimeSeriesRegistry.Model memory params = _modelParams(otherTc, scVerifier);
        params.tcSrs = keccak256("srs/tc");
        params.scSrs = keccak256("srs/sc");
        vm.expectEmit(address(registry));
        emit ITimeSeriesRegistry.ModelRegistered(
            otherModel,
            otherTc,
            scVerifier,
            otherTc.codehash,
            scVerifier.codehash,
            params.stepsPerInterval,
            params.intervalsPerWindow,
            keccak256("srs/tc"),
            keccak256("srs/sc")
        );
        registry.registerModel(otherModel, params);
        ITimeSeriesRegistry.Model memory stored = registry.model(otherModel);
        assertEq(stored.tcSrs, keccak256("srs/tc"), "TC SRS id not recorded");
        assertEq(stored.scSrs, keccak256("srs/sc"), "SC SRS id not recorded");
        assertEq(registry.model(modelId).tcSrs, TEST_SRS_ID);
        assertEq(registry.model(modelId).scSrs, TEST_SC_SRS_ID);
    }

    /// @dev A zero SRS id, for either verifier, is refused naming that verifier.
    function test_RevertWhen_registerModelSrsIsZero() public {
        bytes32 otherModel = vm.parseJsonBytes32(modelJson, ".other_model_id");
        address otherTc = vm.deployCode(TS_OTHER_TC_VERIFIER);
        bytes4 invalidSrs = ITimeSeriesRegistry.TimeSeriesRegistryInvalidSrs.selector;
        ITimeSeriesRegistry.Model memory params = _modelParams(otherTc, scVerifier);
        params.tcSrs = bytes32(0);
        vm.expectRevert(abi.encodeWithSelector(invalidSrs, otherTc));
        registry.registerModel(otherModel, params);
        params = _modelParams(otherTc, scVerifier);
        params.scSrs = bytes32(0);
        vm.expectRevert(abi.encodeWithSelector(invalidSrs, scVerifier));
        registry.registerModel(otherModel, params);
        assertEq(registry.model(otherModel).tcVerifier, address(0), "registered without an SRS id");
    }

    function test_RevertWhen_registeringAKnownModel() public {
        vm.expectRevert(abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryModelExists.selector, modelId));
        registry.registerModel(modelId, _modelParams(tcVerifier, scVerifier));
    }

    function test_RevertWhen_registerModelByNonOwner() public {
        vm.expectRevert(abi.encodeWithSelector(ITimeSeriesRegistry.TimeSeriesRegistryUnauthorized.selector, gateway));
        vm.prank(gateway);
        registry.registerModel(keccak256("x"), _modelParams(tcVerifier, scVerifier));
    }
}
