/** Step Functions API errors, named as the service names them so the SDK maps them. */
export class SfnApiError extends Error {
  constructor(
    readonly type:
      | 'ExecutionAlreadyExists'
      | 'ExecutionDoesNotExist'
      | 'InvalidArn'
      | 'InvalidName'
      | 'InvalidExecutionInput'
      | 'InvalidOutput'
      | 'InvalidToken'
      | 'TaskDoesNotExist'
      | 'TaskTimedOut'
      | 'StateMachineDoesNotExist'
      | 'ValidationException'
      | 'ResourceNotFound'
      | 'UnknownOperationException',
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** An error as a Task reports it to Retry and Catch: matched on its name. */
export function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}
