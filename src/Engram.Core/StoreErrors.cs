namespace Engram.Core
{
    /// <summary>The errors every backend raises for the same situations, so ids and messages agree across backends.</summary>
    public static class StoreErrors
    {
        public static EngramException MemoryNotFound(string ns, string key) =>
            new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound,
                $"No memory '{key}' in namespace '{ns}'.", ns + "/" + key);

        public static EngramException StoreMissing(string root) =>
            new EngramException(EngramErrorIds.StoreNotFound, EngramErrorKind.NotFound,
                $"No Engram store at '{root}'. Create one with Initialize-EngramStore, or by writing a first memory with Set-EngramMemory.", root);

        public static EngramException StoreExists(string root) =>
            new EngramException(EngramErrorIds.StoreAlreadyExists, EngramErrorKind.AlreadyExists,
                $"An Engram store already exists at '{root}'. Use -Force to rewrite its configuration (memories are kept).", root);

        public static EngramException ImportTargetNotEmpty(string root) =>
            new EngramException(EngramErrorIds.StoreAlreadyExists, EngramErrorKind.AlreadyExists,
                $"The destination store '{root}' already holds memories, histories or branches; copy into a new or empty store.", root);

        public static EngramException UpgradeRequired(string root, int format, int have, string what) =>
            new EngramException(EngramErrorIds.StoreUpgradeRequired, EngramErrorKind.InvalidOperation,
                $"{what} needs store format {format}; the store at '{root}' is format {have}. Run Update-EngramStore first.", root);

        public static EngramException BranchMissing(string ns, string branch) =>
            new EngramException(EngramErrorIds.BranchNotFound, EngramErrorKind.NotFound,
                $"There is no branch '{branch}' of namespace '{ns}'. List branches with Get-EngramBranch; create one with New-EngramFork.", ns + "@" + branch);

        public static EngramException BranchExists(string ns, string branch) =>
            new EngramException(EngramErrorIds.BranchAlreadyExists, EngramErrorKind.AlreadyExists,
                $"The branch '{branch}' of namespace '{ns}' already exists.", ns + "@" + branch);

        public static EngramException NotInBranch(string ns, string branch, string key) =>
            new EngramException(EngramErrorIds.KeyNotInBranch, EngramErrorKind.InvalidArgument,
                $"The branch '{branch}' of '{ns}' was forked for some keys only, and '{key}' is not one of them.", ns + "/" + key + "@" + branch);

        public static EngramException MemoryMissing(string ns, string key) =>
            new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound,
                $"No memory '{key}' in namespace '{ns}'.", ns + "/" + key);

        public static EngramException NotTracked(string ns, string key) =>
            new EngramException(EngramErrorIds.NoProvenance, EngramErrorKind.NotFound,
                $"The memory '{key}' in '{ns}' is not tracked, so it has no provenance. Track it with Set-EngramMemory -TrackProvenance, or track the namespace in engram.yaml.", ns + "/" + key);
    }
}
