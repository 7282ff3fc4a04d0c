// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IOwned2Step} from "./IOwned2Step.sol";

/// @title ITimeSeriesRegistry
/// @notice Time-series mode of zkalert: per stream, a chain of temporal-consistency (TC) proofs of
/// an extended Kalman filter, one per interval of D steps, and a statistical-consistency (SC) proof
/// per detection window of W intervals whose alarm is recorded and queryable.
/// @dev The registry enforces in the contract what the zkSTAR paper checks off-chain:
///  - each TC proof starts from the previous TC proof's state and accumulator hashes
///    (`stateIn == stateHead`, `accIn == accHead`), so no interval can be replayed, skipped or
///    started from a stale or forged state;
///  - the accumulator restarts exactly at window starts (the `reset` instance is one of two
///    registered constants);
///  - each TC proof's Kalman-gain check (KRC) passed: its `krcOk` instance is the registered
///    Poseidon hash of a passing verdict;
///  - each SC proof consumes the accumulator hash recorded by the last TC proof of its window, and
///    its SVD check passed;
///  - proofs verify under the registered verifiers, whose code hashes are pinned at registration
///    (key invariance), and one TC verifier code serves one model;
///  - the gateway chooses nothing that the owner has not approved: the owner opens each stream for
///    one gateway at a genesis it approves, and approves every model rotation with the genesis it
///    starts from; the gateway carries an approved rotation out at a window boundary;
///  - a TC statement (its instances) is recorded at most once in the registry, whatever the model.
/// TC instances (EZKL order, inputs then outputs): [stateIn, accIn, block, reset, stateOut, accOut, krcOk].
/// SC instances: [accEnd, advice, t2, alarm, svdOk]; t2 is fixed point, alarm and svdOk are 0 or 1.
/// Every model records the KZG SRS each of its verifiers was generated with, by its SRS id (see
/// {Model}): whoever knows an SRS's secret τ can forge proofs on it, so the regulator's audit
/// compares the recorded ids, the ones the verifiers' code embeds, and the SRS it accepts.
/// The owner (the regulator) hands the registry over in two steps, see {IOwned2Step}.
interface ITimeSeriesRegistry is IOwned2Step {
    // ------------------------------------------------------------------ types

    /// @notice A registered detector: its two verifiers and the constants its proofs are checked against.
    /// @param tcVerifier EZKL verifier of the TC circuit (one D).
    /// @param scVerifier EZKL verifier of the SC circuit.
    /// @param tcCodehash Code hash of `tcVerifier` at registration (the TC verifying key is embedded in it).
    /// @param scCodehash Code hash of `scVerifier` at registration.
    /// @param krcPassCommitment The `krcOk` instance of a TC proof whose KRC check passed.
    /// @param resetCommitment The `reset` instance expected on the first interval of a window.
    /// @param continueCommitment The `reset` instance expected on every other interval.
    /// @param stepsPerInterval D, time steps per TC proof.
    /// @param intervalsPerWindow W, TC intervals per SC window.
    /// @param registeredAt Block number of registration.
    /// @param tcSrs SRS id of the KZG SRS `tcVerifier` was generated with: keccak256 of the SRS's
    /// [τ]G2 point as `abi.encode(x.c1, x.c0, y.c1, y.c0)` (the pairing precompile's, EIP-197, word
    /// order). The verifier's code embeds that point, so an audit can check the id against it.
    /// @param scSrs SRS id of the SRS `scVerifier` was generated with. Equal to `tcSrs` when both
    /// circuits were built on one SRS (a ceremony file); development SRSs are one per circuit size,
    /// so a TC and an SC circuit of different sizes have two.
    struct Model {
        address tcVerifier;
        address scVerifier;
        bytes32 tcCodehash;
        bytes32 scCodehash;
        uint256 krcPassCommitment;
        uint256 resetCommitment;
        uint256 continueCommitment;
        uint32 stepsPerInterval;
        uint32 intervalsPerWindow;
        uint64 registeredAt;
        bytes32 tcSrs;
        bytes32 scSrs;
    }

    /// @notice A stream's state: model, gateway, chain heads and counters.
    /// @param modelId The model the stream's proofs are checked under now.
    /// @param gateway The only account that may submit for the stream.
    /// @param intervals TC intervals recorded (the next interval's index).
    /// @param windowsRecorded SC windows recorded.
    /// @param firstInterval Index of the first interval under `modelId` (changes on rotation).
    /// @param firstWindow Index of the first window under `modelId`; interval k belongs to window
    /// firstWindow + (k − firstInterval) / W.
    /// @param stateHead Hash of the last recorded posterior state (or the genesis state).
    /// @param accHead Hash of the last recorded accumulator (or the genesis accumulator).
    /// @param logHead keccak256 chain over every recorded interval and window of the stream.
    struct Stream {
        bytes32 modelId;
        address gateway;
        uint64 intervals;
        uint64 windowsRecorded;
        uint64 firstInterval;
        uint64 firstWindow;
        uint256 stateHead;
        uint256 accHead;
        bytes32 logHead;
    }

    /// @notice What the registry knows about one window.
    /// @param closed True once the window's last TC interval is recorded.
    /// @param recorded True once its SC proof is recorded.
    /// @param alarm The proven alarm (meaningful when `recorded`).
    /// @param t2 The proven T² statistic in fixed point (meaningful when `recorded`).
    /// @param accEnd Accumulator hash of the window's last TC proof (what its SC proof must consume).
    /// @param modelId Model the window was proven under.
    struct Window {
        bool closed;
        bool recorded;
        bool alarm;
        uint256 t2;
        uint256 accEnd;
        bytes32 modelId;
    }

    // ------------------------------------------------------------------ errors

    /// @notice The caller is not the owner.
    error TimeSeriesRegistryUnauthorized(address caller);
    /// @notice The owner cannot be the zero address.
    error TimeSeriesRegistryInvalidOwner(address owner);
    /// @notice Only the account the owner offered the registry to may accept it
    /// ({IOwned2Step.acceptOwnership}).
    /// @param caller The account that called.
    /// @param pendingOwner The account the registry is offered to (zero: no offer pending).
    error TimeSeriesRegistryNotPendingOwner(address caller, address pendingOwner);
    /// @notice The caller is not an allowed gateway, or not the stream's gateway.
    error TimeSeriesRegistryUnknownGateway(address caller);
    /// @notice A verifier address has no code.
    error TimeSeriesRegistryInvalidVerifier(address verifier);
    /// @notice A zero SRS id was given for a verifier: every verifier names the SRS it was made with.
    /// @param verifier The verifier whose SRS id is zero.
    error TimeSeriesRegistryInvalidSrs(address verifier);
    /// @notice D or W is zero.
    error TimeSeriesRegistryInvalidShape(uint32 stepsPerInterval, uint32 intervalsPerWindow);
    /// @notice The model id is already registered.
    error TimeSeriesRegistryModelExists(bytes32 modelId);
    /// @notice The model id is not registered.
    error TimeSeriesRegistryUnknownModel(bytes32 modelId);
    /// @notice The stream was already opened.
    error TimeSeriesRegistryStreamExists(bytes32 streamId);
    /// @notice The stream was never opened.
    error TimeSeriesRegistryUnknownStream(bytes32 streamId);
    /// @notice A proof came with the wrong number of public instances.
    error TimeSeriesRegistryInstanceCount(uint256 expected, uint256 got);
    /// @notice A public instance is not below the BN254 scalar field modulus.
    error TimeSeriesRegistryInstanceOutOfField(uint256 index, uint256 value);
    /// @notice This exact TC statement (its instances) was recorded before: a replayed proof.
    error TimeSeriesRegistryReplay(bytes32 statement);
    /// @notice The TC verifier's code already serves another model (a twin model would let a
    /// recorded history be replayed under a second id).
    error TimeSeriesRegistryVerifierInUse(address verifier, bytes32 modelId);
    /// @notice A rotation to the model the stream already runs.
    error TimeSeriesRegistrySameModel(bytes32 streamId, bytes32 modelId);
    /// @notice The rotation (model and genesis) is not the one the owner approved for this stream.
    error TimeSeriesRegistryRotationNotApproved(
        bytes32 streamId, bytes32 newModelId, uint256 genesisState, uint256 genesisAcc
    );
    /// @notice A genesis state the stream has already moved past (a rotation back to old state).
    error TimeSeriesRegistryGenesisStale(bytes32 streamId, uint256 genesisState);
    /// @notice The state is held by another stream (as its genesis or a recorded state): each
    /// state belongs to one stream, so a proof of one stream can never continue another.
    error TimeSeriesRegistryStateInUse(bytes32 streamId, uint256 state, bytes32 heldBy);
    /// @notice The zero stream id is reserved (it marks a state no stream holds).
    error TimeSeriesRegistryInvalidStream(bytes32 streamId);
    /// @notice A stream cannot be given to the zero address or to an account that is not an allowed gateway.
    error TimeSeriesRegistryInvalidGateway(address gateway);
    /// @notice The TC proof starts from a state this stream recorded earlier, not from its head.
    error TimeSeriesRegistryStaleState(bytes32 streamId, uint64 interval, uint256 expected, uint256 got);
    /// @notice The TC proof starts from a state this stream never recorded: a skipped interval or a forged state.
    error TimeSeriesRegistryStateLinkBroken(bytes32 streamId, uint64 interval, uint256 expected, uint256 got);
    /// @notice The TC proof's accumulator does not continue the stream's accumulator.
    error TimeSeriesRegistryAccLinkBroken(bytes32 streamId, uint64 interval, uint256 expected, uint256 got);
    /// @notice The TC proof resets (or keeps) the window accumulator where it must not.
    error TimeSeriesRegistryResetMismatch(bytes32 streamId, uint64 interval, uint256 expected, uint256 got);
    /// @notice The TC proof's Kalman-gain check (‖K S − P Hᵀ‖ ≤ ε) failed.
    error TimeSeriesRegistryKrcCheckFailed(bytes32 streamId, uint64 interval, uint256 krcOk);
    /// @notice A verifier's code is no longer the code registered (its verifying key changed).
    error TimeSeriesRegistryVerifierChanged(bytes32 modelId, address verifier, bytes32 expected, bytes32 got);
    /// @notice The verifier refused the proof (or reverted). `kind` is 0 for TC, 1 for SC.
    error TimeSeriesRegistryInvalidProof(bytes32 modelId, uint8 kind);
    /// @notice The window's last TC interval is not recorded yet.
    error TimeSeriesRegistryWindowOpen(bytes32 streamId, uint64 window, uint64 intervals);
    /// @notice The window already has its SC proof.
    error TimeSeriesRegistryWindowRecorded(bytes32 streamId, uint64 window);
    /// @notice The SC proof's residuals are not the accumulator of this window's TC chain.
    error TimeSeriesRegistryResidualsNotFromChain(bytes32 streamId, uint64 window, uint256 expected, uint256 got);
    /// @notice The SC proof's SVD check (‖U diag(s) Uᵀ − Σ‖ ≤ ε, UᵀU ≈ I, s w² ≈ 1) failed.
    error TimeSeriesRegistrySvdCheckFailed(bytes32 streamId, uint64 window, uint256 svdOk);
    /// @notice The SC proof's alarm instance is neither 0 nor 1.
    error TimeSeriesRegistryAlarmNotBoolean(bytes32 streamId, uint64 window, uint256 alarm);
    /// @notice A model can be rotated only at a window boundary with every window's SC recorded.
    error TimeSeriesRegistryRotationNotAtBoundary(bytes32 streamId, uint64 intervals, uint64 windowsRecorded);

    // ------------------------------------------------------------------ events

    /// @notice A gateway was allowed or disallowed.
    event GatewaySet(address indexed gateway, bool allowed);
    /// @notice A model was registered with its verifiers, their SRS ids and its constants.
    /// @param modelId The model's id.
    /// @param tcVerifier The TC circuit's verifier.
    /// @param scVerifier The SC circuit's verifier.
    /// @param tcCodehash `tcVerifier`'s code hash, pinned.
    /// @param scCodehash `scVerifier`'s code hash, pinned.
    /// @param stepsPerInterval D.
    /// @param intervalsPerWindow W.
    /// @param tcSrs SRS id of the SRS `tcVerifier` was generated with (see {Model}).
    /// @param scSrs SRS id of the SRS `scVerifier` was generated with.
    event ModelRegistered(
        bytes32 indexed modelId,
        address tcVerifier,
        address scVerifier,
        bytes32 tcCodehash,
        bytes32 scCodehash,
        uint32 stepsPerInterval,
        uint32 intervalsPerWindow,
        bytes32 tcSrs,
        bytes32 scSrs
    );
    /// @notice A stream was opened at its genesis state and accumulator hashes.
    event StreamOpened(
        bytes32 indexed streamId,
        bytes32 indexed modelId,
        address indexed gateway,
        uint256 genesisState,
        uint256 genesisAcc
    );
    /// @notice The owner approved a rotation of the stream to `newModelId` starting at the given genesis.
    event RotationApproved(
        bytes32 indexed streamId, bytes32 indexed newModelId, uint256 genesisState, uint256 genesisAcc
    );
    /// @notice The owner gave the stream to another gateway (or restored it to its rightful one).
    event StreamGatewaySet(bytes32 indexed streamId, address indexed previousGateway, address indexed gateway);
    /// @notice A stream moved to another model from interval `atInterval`, with a new genesis.
    event ModelRotated(
        bytes32 indexed streamId,
        bytes32 indexed oldModelId,
        bytes32 indexed newModelId,
        uint64 atInterval,
        uint256 genesisState,
        uint256 genesisAcc
    );
    /// @notice A TC proof was verified and appended to the stream.
    event IntervalRecorded(
        bytes32 indexed streamId,
        uint64 indexed interval,
        bytes32 indexed modelId,
        uint256 stateIn,
        uint256 stateOut,
        uint256 accOut,
        uint256 blockCommitment,
        bytes32 logHash
    );
    /// @notice An SC proof was verified: the window's alarm is recorded.
    event WindowRecorded(
        bytes32 indexed streamId,
        uint64 indexed window,
        bytes32 indexed modelId,
        uint256 t2,
        bool alarm,
        bytes32 logHash
    );

    // ------------------------------------------------------------------ owner

    // transferOwnership, acceptOwnership: see {IOwned2Step}

    /// @notice Registers a detector's verifiers and constants; pins the verifiers' code hashes.
    /// @dev The TC verifier's code must not serve another model. An SC verifier may be shared: an SC
    /// statement is consumed once per window and must consume that window's accumulator as
    /// recorded by the stream's TC chain, so sharing it cannot replay anything.
    /// Reverts with {TimeSeriesRegistryInvalidSrs} when an SRS id is zero; the registry records the
    /// ids as given (it cannot read [τ]G2 out of a verifier's code: an audit does).
    /// @param modelId keccak256 of the TC and SC verifying keys (computed off-chain).
    /// @param model The verifiers, their SRS ids and the constants; `tcCodehash`, `scCodehash` and
    /// `registeredAt` are ignored and set here.
    function registerModel(bytes32 modelId, Model calldata model) external;

    /// @notice Allows or disallows a gateway to submit for the streams it was given.
    /// @param gateway The gateway account.
    /// @param allowed Whether it may submit.
    function setGateway(address gateway, bool allowed) external;

    /// @notice Opens a stream under a registered model for one allowed gateway, at the genesis the
    /// owner approves. Nobody else can open, take or front-run a stream.
    /// @param streamId The stream's id (keccak256 of its name).
    /// @param modelId A registered model.
    /// @param gateway The only account that may submit for the stream.
    /// @param genesisState Poseidon hash of the initial state tensor (with its nonce), from the gateway.
    /// @param genesisAcc Poseidon hash of the initial accumulator tensor (with its nonce).
    function openStream(bytes32 streamId, bytes32 modelId, address gateway, uint256 genesisState, uint256 genesisAcc)
        external;

    /// @notice Gives an open stream to another allowed gateway (a replacement, or the rightful one back).
    /// @param streamId An open stream.
    /// @param gateway An allowed gateway.
    function setStreamGateway(bytes32 streamId, address gateway) external;

    /// @notice Approves the stream's next rotation: to `newModelId`, starting from the given genesis.
    /// @dev One approval per stream; a new approval replaces the pending one.
    /// @param streamId An open stream.
    /// @param newModelId A registered model other than the stream's current one.
    /// @param genesisState Hash of the state the first interval under the new model starts from.
    /// @param genesisAcc Hash of the accumulator it starts from.
    function approveRotation(bytes32 streamId, bytes32 newModelId, uint256 genesisState, uint256 genesisAcc)
        external;

    // ------------------------------------------------------------------ gateways

    /// @notice Carries out the owner's approved rotation (a logged, explicit event).
    /// @dev Only at a window boundary with every window's SC proof recorded, and only exactly as
    /// approved; the approval is used up.
    /// @param streamId The stream.
    /// @param newModelId The model its next proofs are checked under.
    /// @param genesisState Hash of the state the next interval starts from.
    /// @param genesisAcc Hash of the accumulator the next interval starts from.
    function rotateModel(bytes32 streamId, bytes32 newModelId, uint256 genesisState, uint256 genesisAcc) external;

    /// @notice Verifies and records the stream's next TC interval.
    /// @param streamId The stream.
    /// @param proof The EZKL proof bytes.
    /// @param instances [stateIn, accIn, block, reset, stateOut, accOut, krcOk].
    /// @return logHash The stream's new log head.
    function submitInterval(bytes32 streamId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32 logHash);

    /// @notice Verifies and records the SC proof of a closed window: its alarm becomes queryable.
    /// @param streamId The stream.
    /// @param window The window's index (intervals window·W … window·W + W − 1).
    /// @param proof The EZKL proof bytes.
    /// @param instances [accEnd, advice, t2, alarm, svdOk].
    /// @return logHash The stream's new log head.
    function submitWindow(bytes32 streamId, uint64 window, bytes calldata proof, uint256[] calldata instances)
        external
        returns (bytes32 logHash);

    // ------------------------------------------------------------------ views

    // owner, pendingOwner: see {IOwned2Step}

    /// @notice Whether `gateway` may open streams.
    function isGateway(address gateway) external view returns (bool);

    /// @notice A registered model (zero verifier if unknown).
    function model(bytes32 modelId) external view returns (Model memory);

    /// @notice The stream's pending rotation approval: keccak256(abi.encode(newModelId, genesisState,
    /// genesisAcc)), or zero when none is pending.
    function pendingRotation(bytes32 streamId) external view returns (bytes32);

    /// @notice A stream's state (zero gateway if never opened).
    function stream(bytes32 streamId) external view returns (Stream memory);

    /// @notice What is known about one window of a stream.
    function window(bytes32 streamId, uint64 windowIndex) external view returns (Window memory);

    /// @notice The stream that holds `state` (as its genesis or a recorded state), or zero.
    function stateHolder(uint256 state) external view returns (bytes32);

    /// @notice The contract version.
    function version() external pure returns (string memory);
}
