"""Browser sign-in (Cognito) on a PresignedUrlApi."""
