using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using Engram.Core;
using Engram.Storage.Sql;

namespace Engram.PowerShell
{
    /// <summary>Shared plumbing for every Engram cmdlet that works on one store (-Store): store resolution. No logic of its own.</summary>
    public abstract class EngramCmdlet : EngramCommand
    {
        private readonly Dictionary<string, IEngramStore> _stores = new Dictionary<string, IEngramStore>(StringComparer.Ordinal);

        /// <summary>
        /// The store folder. Default: $env:ENGRAM_STORE, else the per-user data folder
        /// (~/.local/share/engram, $XDG_DATA_HOME/engram or %LOCALAPPDATA%\Engram).
        /// </summary>
        /// <remarks>Not bound from a piped object's Store property: a piped Engram object gives its store through
        /// <see cref="PSOrigin"/>, and a CSV row's Store column never redirects a command.</remarks>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Store { get; set; }

        /// <summary>The PSOrigin of a piped Engram object (its store and branch); anything else bound here (a CSV
        /// column of that name, a deserialized copy) is ignored. Hidden: users give -Store and -Branch.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public object? PSOrigin { get; set; }

        /// <summary>The origin of the piped object when it is an Engram object, else null.</summary>
        protected EngramOrigin? PipedOrigin => (PSOrigin is PSObject p ? p.BaseObject : PSOrigin) as EngramOrigin;

        /// <summary>The branch for a memory write: -Branch when given, else the piped Engram object's branch, else main.</summary>
        protected string EffectiveBranch(string branch) =>
            MyInvocation.BoundParameters.ContainsKey("Branch") ? branch : PipedOrigin?.Branch ?? Names.DefaultBranch;

        /// <summary>The store named by -Store (relative to the current PowerShell location), else the store of the
        /// piped Engram object, else the default one.</summary>
        protected IEngramStore ResolveStore()
        {
            var raw = !string.IsNullOrEmpty(Store) ? Store! : PipedOrigin?.Store ?? StoreLocator.DefaultRoot();
            if (!_stores.TryGetValue(raw, out var store))
            {
                // A folder or the path of a sqlite: location resolves against the PowerShell location, like any path.
                store = OpenLocation(raw);
                _stores[raw] = store;
            }
            return store;
        }

        /// <summary>
        /// The store, which must exist; false (with the error written: StoreNotFound, a newer format…) when it cannot
        /// be read, for a cmdlet that then has nothing to do for this input.
        /// </summary>
        protected bool TryResolveExistingStore(out IEngramStore store)
        {
            try
            {
                store = ResolveStore();
                store.EnsureExists();
                return true;
            }
            catch (Exception ex) when (ex is EngramException || IsUnexpected(ex))
            {
                WriteEngramError(AsEngramException(ex));
                store = null!;
                return false;
            }
        }

        /// <summary>Resolves the store (which must exist) and normalizes a namespace; false after writing the error.</summary>
        protected bool TryOpen(string ns, out IEngramStore store, out string normalizedNamespace)
        {
            store = null!;
            normalizedNamespace = "";
            try
            {
                store = ResolveStore();
                normalizedNamespace = Names.NormalizeNamespace(ns);
                store.EnsureExists();
                return true;
            }
            catch (Exception ex) when (ex is EngramException || IsUnexpected(ex))
            {
                WriteEngramError(AsEngramException(ex));
                return false;
            }
        }
    }

    /// <summary>Shared plumbing for every Engram cmdlet: paths, actors, error records, progress. No logic of its own.
    /// Copy-EngramStore derives from it directly: it names two stores (-Source, -Destination) and has no -Store.</summary>
    public abstract class EngramCommand : PSCmdlet
    {
        // Every exception that leaves an Engram cmdlet carries an Engram error id: the engine's steps run the cmdlet's
        // own step inside one guard, which turns anything unforeseen (a .NET exception from a library or the file system
        // that no code path mapped) into a terminating UnexpectedError record, never a bare .NET type name as the id.

        protected sealed override void BeginProcessing() => Guarded(BeginEngramProcessing);

        protected sealed override void ProcessRecord() => Guarded(ProcessEngramRecord);

        protected sealed override void EndProcessing() => Guarded(() =>
        {
            _batch?.Flush(); // piped records still buffered: committed, and their outcomes written, first
            EndEngramProcessing();
        });

        // ------------------------------------------------------------------ piped writes in batches

        [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "A batch of any request type: the concrete type is generic per cmdlet.")]
        private IPipelineBatch? _batch;

        /// <summary>
        /// Makes this command commit its piped records in batches (see <see cref="PipelineBatch{TRequest, TOutcome}"/>):
        /// returns the batch, or null when the command writes each record at once (no pipeline input, or an error
        /// action that stops). While it batches, <see cref="WriteEngramError"/> keeps each error in its place among the
        /// records' outcomes, and the end of the pipeline commits what is left.
        /// </summary>
        private protected PipelineBatch<TRequest, TOutcome>? BatchPipedRecords<TRequest, TOutcome>(Func<IEngramStore, IReadOnlyList<TRequest>, IReadOnlyList<TOutcome>> commit)
        {
            if (!PipelineBatch<TRequest, TOutcome>.Applies(this)) return null;
            var batch = new PipelineBatch<TRequest, TOutcome>(commit, WriteErrorNow);
            _batch = batch;
            return batch;
        }

        /// <summary>The cmdlet's BeginProcessing.</summary>
        protected virtual void BeginEngramProcessing() { }

        /// <summary>The cmdlet's ProcessRecord.</summary>
        protected virtual void ProcessEngramRecord() { }

        /// <summary>The cmdlet's EndProcessing.</summary>
        protected virtual void EndEngramProcessing() { }

        private void Guarded(Action step)
        {
            try { step(); }
            catch (EngramException ex) { ThrowEngramError(ex); } // a terminating Engram error a cmdlet did not catch
            catch (Exception ex) when (IsUnexpected(ex)) { ThrowEngramError(AsEngramException(ex)); }
        }

        /// <summary>Opens a store location (a folder, sqlite:&lt;path&gt;, a PostgreSQL address) as -Store is opened:
        /// relative paths against the PowerShell location.</summary>
        protected IEngramStore OpenLocation(string raw) => EngramBackends.Open(raw, ResolvePath);

        private string ResolvePath(string raw)
        {
            try
            {
                return SessionState.Path.GetUnresolvedProviderPathFromPSPath(raw);
            }
            catch (Exception ex) when (ex is ItemNotFoundException || ex is ProviderNotFoundException || ex is DriveNotFoundException || ex is NotSupportedException || ex is PSArgumentException)
            {
                throw new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument,
                    $"'{raw}' is not a file system path usable as an Engram store: {ex.Message}", raw, ex);
            }
        }

        /// <summary>The actor for a change: -Actor, else $env:ENGRAM_ACTOR, else the OS user name.</summary>
        protected static string ResolveActor(string? actor) =>
            string.IsNullOrWhiteSpace(actor) ? StoreLocator.DefaultActor() : actor!;

        /// <summary>Writes a non-terminating error for an Engram failure.</summary>
        protected void WriteEngramError(EngramException ex)
        {
            if (_batch != null) _batch.AddError(ex); // after the outcomes of the records piped before it
            else WriteErrorNow(ex);
        }

        /// <summary>Writes a non-terminating error at once (a batched record's own outcome, once its batch committed).</summary>
        private protected void WriteErrorNow(EngramException ex) => WriteError(ToErrorRecord(ex));

        /// <summary>Stops the command with an Engram failure.</summary>
        protected void ThrowEngramError(EngramException ex) => ThrowTerminatingError(ToErrorRecord(ex));

        internal static ErrorRecord ToErrorRecord(EngramException ex)
        {
            var record = new ErrorRecord(ex, ex.ErrorId, ToCategory(ex.Kind), ex.Target);
            var hint = RecommendedAction(ex.ErrorId);
            if (hint != null) record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = hint };
            return record;
        }

        internal static ErrorCategory ToCategory(EngramErrorKind kind)
        {
            switch (kind)
            {
                case EngramErrorKind.InvalidArgument: return ErrorCategory.InvalidArgument;
                case EngramErrorKind.NotFound: return ErrorCategory.ObjectNotFound;
                case EngramErrorKind.AlreadyExists: return ErrorCategory.ResourceExists;
                case EngramErrorKind.InvalidData: return ErrorCategory.InvalidData;
                case EngramErrorKind.NotSupported: return ErrorCategory.NotImplemented;
                case EngramErrorKind.ResourceBusy: return ErrorCategory.ResourceBusy;
                case EngramErrorKind.InvalidOperation: return ErrorCategory.InvalidOperation;
                case EngramErrorKind.WriteError: return ErrorCategory.WriteError;
                case EngramErrorKind.ResourceUnavailable: return ErrorCategory.ResourceUnavailable;
                default: return ErrorCategory.NotSpecified;
            }
        }

        private static string? RecommendedAction(string errorId)
        {
            switch (errorId)
            {
                case EngramErrorIds.StoreNotFound: return "Run Initialize-EngramStore, write a first memory with Set-EngramMemory, or pass the right -Store.";
                case EngramErrorIds.UnsupportedFormatVersion: return "Update the Engram module to a version that knows this format. Nothing was changed.";
                case EngramErrorIds.ProvenanceRequired: return "Omit -TrackProvenance:$false; memories with history are always tracked.";
                case EngramErrorIds.StoreLocked: return "Another process is writing to the store; retry when it has finished.";
                case EngramErrorIds.NoProvenance: return "Write the memory with -TrackProvenance to start its history.";
                default: return null;
            }
        }

        /// <summary>Reports progress of a long operation (fork/merge/verify/optimize), completing it on the last step.</summary>
        protected void WriteProgressStep(int activityId, string activity, int done, int total, string status) =>
            WriteProgress(new ProgressRecord(activityId, activity, string.IsNullOrEmpty(status) ? "..." : status)
            {
                PercentComplete = total == 0 ? 100 : Math.Min(100, done * 100 / total),
                RecordType = done >= total ? ProgressRecordType.Completed : ProgressRecordType.Processing,
            });

        /// <summary>Runs <paramref name="action"/>, turning Engram failures into non-terminating errors.</summary>
        protected void Try(Action action)
        {
            try { action(); }
            catch (Exception ex) when (ex is EngramException || IsUnexpected(ex)) { WriteEngramError(AsEngramException(ex)); }
        }

        /// <summary>
        /// An exception the engine did not turn into an EngramException (a bug, or a failure nobody foresaw): it still
        /// leaves the cmdlet as an Engram error (UnexpectedError) rather than a raw .NET type name as the error id.
        /// PowerShell's own flow-control exceptions (-ErrorAction Stop, a stopped pipeline) and fatal ones pass through.
        /// </summary>
        internal static bool IsUnexpected(Exception ex) =>
            !(ex is EngramException) && !(ex is RuntimeException) && !(ex is OutOfMemoryException) && !(ex is StackOverflowException)
            && !(ex is ThreadAbortException) && !(ex is OperationCanceledException);

        internal static EngramException AsEngramException(Exception ex) =>
            ex as EngramException ?? new EngramException(EngramErrorIds.UnexpectedError, EngramErrorKind.InvalidOperation,
                $"Engram failed unexpectedly ({ex.GetType().FullName}): {ex.Message}", null, ex);
    }
}
