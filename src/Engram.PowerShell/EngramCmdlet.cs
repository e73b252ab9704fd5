using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using Engram.Core;
using Engram.Storage.Sql;

namespace Engram.PowerShell
{
    /// <summary>Shared plumbing for every Engram cmdlet: store resolution and error records. No logic of its own.</summary>
    public abstract class EngramCmdlet : PSCmdlet
    {
        private readonly Dictionary<string, IEngramBackend> _stores = new Dictionary<string, IEngramBackend>(StringComparer.Ordinal);

        /// <summary>
        /// The store folder. Default: $env:ENGRAM_STORE, else the per-user data folder
        /// (~/.local/share/engram, $XDG_DATA_HOME/engram or %LOCALAPPDATA%\Engram).
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? Store { get; set; }

        /// <summary>The store named by -Store (relative to the current PowerShell location) or the default one.</summary>
        protected IEngramBackend ResolveStore()
        {
            var raw = string.IsNullOrEmpty(Store) ? StoreLocator.DefaultRoot() : Store!;
            if (!_stores.TryGetValue(raw, out var store))
            {
                // A folder or the path of a sqlite: location resolves against the PowerShell location, like any path.
                store = EngramBackends.Open(raw, ResolvePath);
                _stores[raw] = store;
            }
            return store;
        }

        /// <summary>
        /// The store, which must exist; false (with the error written: StoreNotFound, a newer format…) when it cannot
        /// be read, for a cmdlet that then has nothing to do for this input.
        /// </summary>
        protected bool TryResolveExistingStore(out IEngramBackend store)
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
        protected void WriteEngramError(EngramException ex) => WriteError(ToErrorRecord(ex));

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

        /// <summary>Resolves the store (which must exist) and normalizes a namespace; false after writing the error.</summary>
        protected bool TryOpen(string ns, out IEngramBackend store, out string normalizedNamespace)
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
