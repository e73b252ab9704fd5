# The README runs as written: its ```powershell blocks, extracted from README.md and run in order in one session of
# their own (a runspace with the module imported, as a user's console: $ErrorActionPreference = 'Continue', and an
# error stops only its own statement), in a fresh folder with a fresh default store.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $readme = Join-Path $script:RepoRoot 'README.md'
    # The story a newcomer follows, in README order; each block builds on what the earlier ones wrote.
    $storyHeadings = @('Quick start', 'History, retention, tamper evidence', 'How a memory came to be', 'Branches and merges', 'Backends: files, SQLite, PostgreSQL')
    $blocks = @(Get-MarkdownCodeBlock -Path $readme)
    $story = @($blocks | Where-Object { $_.Heading -in $storyHeadings } | ForEach-Object { @{ Heading = $_.Heading; Code = $_.Code } })
    $intro = @($blocks | Where-Object { $_.Heading -eq 'Engram for PowerShell' } | ForEach-Object { @{ Heading = $_.Heading; Code = $_.Code } })
    $agents = @($blocks | Where-Object { $_.Heading -eq 'Agents over MCP' } | ForEach-Object { @{ Heading = $_.Heading; Code = $_.Code } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # A session of its own, like a user's console: a runspace with the module imported, in $Folder.
    function New-ReadmeSession([string] $Folder) {
        $runspace = [runspacefactory]::CreateRunspace([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault())
        $runspace.Open()
        $null = Invoke-ReadmeBlock $runspace "Import-Module '$((Get-Module Engram).Path)'; Set-Location -LiteralPath '$Folder'"
        $runspace
    }
    # Runs one README block in the session as a user pasting it would: Output, and the ids of every error (Errors).
    function Invoke-ReadmeBlock($Runspace, [string] $Code) {
        # The PostgreSQL line names a server (Host=db1) that does not exist here: the PostgreSQL backend is proven by the
        # backend contract (tests/Engram.Storage.Tests), so only that line is left out.
        $runnable = ($Code -split "`n" | Where-Object { $_ -notmatch "-Store 'Host=" }) -join "`n"
        $ps = [powershell]::Create()
        try {
            $ps.Runspace = $Runspace
            $output = $ps.AddScript($runnable).Invoke()
            [pscustomobject]@{
                Output = $output
                Errors = @($ps.Streams.Error | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] })
                Messages = ($ps.Streams.Error | Out-String)
            }
        } finally { $ps.Dispose() }
    }
}

Describe 'README.md' {
    It 'has the five story blocks in order' {
        $story.Heading | Should -Be $storyHeadings
    }
}

Describe 'The README story, block by block' {
    BeforeAll {
        $folder = Join-Path $TestDrive 'readme'
        New-Item -ItemType Directory -Path $folder | Out-Null
        # The process environment is shared with the README's session: its default store is this fresh one.
        $previousStore = $env:ENGRAM_STORE
        $env:ENGRAM_STORE = Join-Path $folder 'store'
        $session = New-ReadmeSession $folder
        Push-Location $folder
    }
    AfterAll {
        Pop-Location
        $session.Dispose()
        $env:ENGRAM_STORE = $previousStore
    }

    It 'runs the "<Heading>" block' -ForEach $story {
        $run = Invoke-ReadmeBlock $session $Code
        $output = $run.Output
        $errors = $run.Errors
        if ($Heading -ne 'Branches and merges') { $run.Messages | Should -BeNullOrEmpty }
        switch ($Heading) {
            'Quick start' {
                $errors | Should -BeNullOrEmpty
                $output | Where-Object { $_ -is [int] } | Should -Be 8080
                (Get-EngramMemory longterm region).Value | Should -Be 'eu-west'
                (Get-EngramMemory projects owner).Value | Should -Be 'team-a'
            }
            'History, retention, tamper evidence' {
                $errors | Should -BeNullOrEmpty
                (Get-EngramMemory shared config).Value.port | Should -Be 8080   # restored from version 1
                (Get-EngramMemory shared config).Version | Should -Be 3
            }
            'How a memory came to be' {
                $errors | Should -BeNullOrEmpty
                (Get-EngramLineage longterm insight -Direction Up).SourceKey | Sort-Object | Should -Be @('obs1', 'obs2')
                (Get-EngramProvenance longterm insight -Last 1).Action | Should -Be 'connected'
            }
            'Branches and merges' {
                # The -Strategy Fail line is meant to stop on the conflict; nothing else may fail.
                $errors | Should -Be @('MergeConflict')
                $merge = $output | Where-Object { $_.PSObject.Properties['ConflictBranches'] -and $_.Strategy -eq 'ConflictBranch' }
                $merge.Merged | Should -Be 'owner'
                $merge.Conflicted | Should -Be 'config'
                (Get-EngramMemory shared owner).Value | Should -Be 'team-b'
                (Get-EngramMemory shared config).Value | Should -Be 'changed on main too'
                (Get-EngramBranch shared).Name | Should -Not -Contain 'alt'
            }
            'Backends: files, SQLite, PostgreSQL' {
                $errors | Should -BeNullOrEmpty
                (Get-EngramMemory shared plan -Store sqlite:./copy.db).Value | Should -Be 'v1'
                ($output | Where-Object { $_.PSObject.Properties['Backend'] }).Backend | Should -Be 'sqlite'
            }
        }
    }
}

Describe 'The README''s first block' {
    It 'runs on a fresh default store' -ForEach $intro {
        $previousStore = $env:ENGRAM_STORE
        $env:ENGRAM_STORE = Join-Path $TestDrive 'intro-store'
        $intro = New-ReadmeSession $TestDrive
        try {
            $run = Invoke-ReadmeBlock $intro $Code
            $run.Messages | Should -BeNullOrEmpty
            $run.Errors | Should -BeNullOrEmpty
            (Get-EngramMemory shared deploy-target -Branch canary).Value | Should -Be 'canary'
            (Get-EngramMemory shared deploy-target).Value | Should -Be 'production'
        } finally { $intro.Dispose(); $env:ENGRAM_STORE = $previousStore }
    }
}

Describe 'The README''s Agents over MCP block' {
    It 'has its PowerShell block' -ForEach @(@{ Found = $agents.Count }) {
        $Found | Should -Be 1
    }

    It 'runs on a fresh default store: the conditional write is refused, the memory tool call runs' -ForEach $agents {
        $previousStore = $env:ENGRAM_STORE
        $env:ENGRAM_STORE = Join-Path $TestDrive 'agents-store'
        $session = New-ReadmeSession $TestDrive
        try {
            $run = Invoke-ReadmeBlock $session $Code
            # shared/plan does not exist on a fresh store, so -ExpectedVersion 2 is the documented VersionConflict
            $run.Errors | Should -Be @('VersionConflict')
            ($run.Output | Where-Object { $_.PSObject.Properties['Command'] }).Command | Should -Be 'view'
            Get-EngramMemory shared plan -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        } finally { $session.Dispose(); $env:ENGRAM_STORE = $previousStore }
    }
}
