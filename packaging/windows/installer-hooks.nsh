; Purser's additions to the NSIS installer the Tauri bundler generates
; (bundle.windows.nsis.installerHooks in src-tauri/tauri.windows.conf.json).
; NOT TESTED: this project has no Windows build machine. See packaging/README.md.
;
; The generated installer already copies purser.exe (bundle.externalBin) next to
; purser-desktop.exe in $INSTDIR (C:\Program Files\Purser, installMode perMachine) and its
; uninstaller deletes it. These hooks put $INSTDIR on the machine-wide PATH, so `purser init`
; and `purser doctor` work in any terminal opened after the install, and take it off again
; on uninstall.
;
; The PATH value is read raw (DoNotExpandEnvironmentNames) and written back as
; REG_EXPAND_SZ, so entries such as %SystemRoot%\system32 keep working; NSIS's own string
; functions are not used because they truncate at 1024 characters. Adding is idempotent.
; The uninstaller leaves the till's database and configuration alone.

!include WinMessages.nsh

!macro PURSER_PATH ACTION
  nsExec::ExecToLog `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command "$$d = '$INSTDIR'; $$k = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SYSTEM\CurrentControlSet\Control\Session Manager\Environment', $$true); $$p = [string]$$k.GetValue('Path', '', 'DoNotExpandEnvironmentNames'); $$e = @($$p -split ';' | Where-Object { $$_ -and ($$_.TrimEnd('\') -ne $$d.TrimEnd('\')) }); if ('${ACTION}' -eq 'add') { $$e += $$d }; $$k.SetValue('Path', ($$e -join ';'), 'ExpandString'); $$k.Close()"`
  Pop $0
  DetailPrint "Purser: PATH ${ACTION} $INSTDIR (exit $0)"
  ; Tell running programs (Explorer, new terminals) that the environment changed.
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
!macroend

!macro NSIS_HOOK_POSTINSTALL
  !insertmacro PURSER_PATH add
!macroend

!macro NSIS_HOOK_POSTUNINSTALL
  ; An update (the uninstaller run with /UPDATE) puts the same folder back at once: leave PATH.
  ${If} $UpdateMode <> 1
    !insertmacro PURSER_PATH remove
  ${EndIf}
!macroend
