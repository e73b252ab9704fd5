using System;

namespace Engram.Core
{
    /// <summary>What kind of failure an <see cref="EngramException"/> is; the cmdlet layer maps it to an ErrorCategory.</summary>
    public enum EngramErrorKind
    {
        InvalidArgument,
        NotFound,
        AlreadyExists,
        InvalidData,
        NotSupported,
        ResourceBusy,
        InvalidOperation,
        WriteError,
        /// <summary>A resource (a database server) cannot be reached now; retrying later may work.</summary>
        ResourceUnavailable,
    }

    /// <summary>Stable error ids. They are part of the public contract (scripts match on them): never rename one.</summary>
    public static class EngramErrorIds
    {
        public const string InvalidNamespace = "InvalidNamespace";
        public const string ReservedNamespace = "ReservedNamespace";
        public const string InvalidKey = "InvalidKey";
        public const string InvalidActor = "InvalidActor";
        public const string InvalidAction = "InvalidAction";
        public const string InvalidStorePath = "InvalidStorePath";
        public const string InvalidConfiguration = "InvalidConfiguration";
        public const string UnsupportedValueType = "UnsupportedValueType";
        public const string ValueTooDeep = "ValueTooDeep";
        public const string MemoryNotFound = "MemoryNotFound";
        public const string StoreNotFound = "StoreNotFound";
        public const string StoreAlreadyExists = "StoreAlreadyExists";
        public const string StoreLocked = "StoreLocked";
        public const string MalformedMemoryFile = "MalformedMemoryFile";
        public const string MalformedProvenance = "MalformedProvenance";
        public const string MalformedStoreConfig = "MalformedStoreConfig";
        public const string UnsupportedFormatVersion = "UnsupportedFormatVersion";
        public const string ProvenanceRequired = "ProvenanceRequired";
        public const string NoProvenance = "NoProvenance";
        public const string WriteFailed = "WriteFailed";
        public const string InvalidBranch = "InvalidBranch";
        public const string BranchNotFound = "BranchNotFound";
        public const string BranchAlreadyExists = "BranchAlreadyExists";
        public const string KeyNotInBranch = "KeyNotInBranch";
        public const string MergeConflict = "MergeConflict";
        public const string UnsupportedMergeTarget = "UnsupportedMergeTarget";
        public const string TransactionCorrupt = "TransactionCorrupt";
        /// <summary>A path under a file store is a link (or reparse point), or would lead outside the store.</summary>
        public const string UnsafeStorePath = "UnsafeStorePath";
        public const string VersionNotFound = "VersionNotFound";
        public const string OutputFileExists = "OutputFileExists";
        public const string StoreUpgradeRequired = "StoreUpgradeRequired";
        public const string InvalidConfidence = "InvalidConfidence";
        public const string CopyVerificationFailed = "CopyVerificationFailed";
        public const string InvalidSearchQuery = "InvalidSearchQuery";
        public const string EmbeddingsNotConfigured = "EmbeddingsNotConfigured";
        public const string EmbeddingFailed = "EmbeddingFailed";
        public const string InsecureEndpoint = "InsecureEndpoint";
        public const string InvalidAnchor = "InvalidAnchor";
        public const string ValueTooLarge = "ValueTooLarge";
        public const string StoreUnavailable = "StoreUnavailable";
        public const string InvalidValue = "InvalidValue";
        public const string UnexpectedError = "UnexpectedError";
        public const string VersionConflict = "VersionConflict";
        public const string InvalidMemoryPath = "InvalidMemoryPath";
        public const string MemoryCommandFailed = "MemoryCommandFailed";
    }

    /// <summary>The one exception type the core throws for anything a user can cause or fix.</summary>
    public class EngramException : Exception
    {
        public EngramException(string errorId, EngramErrorKind kind, string message, object? target = null, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Kind = kind;
            Target = target;
        }

        /// <summary>Stable identifier, see <see cref="EngramErrorIds"/>.</summary>
        public string ErrorId { get; }

        public EngramErrorKind Kind { get; }

        /// <summary>The object the error is about (a key, a namespace, a file path).</summary>
        public object? Target { get; }
    }
}
