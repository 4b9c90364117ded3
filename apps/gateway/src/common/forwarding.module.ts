import { Global, Module } from '@nestjs/common';
import { ServiceForwarder } from './service-forwarder.service.js';

/** The one provider every feature controller uses to reach the services. */
@Global()
@Module({ providers: [ServiceForwarder], exports: [ServiceForwarder] })
export class ForwardingModule {}
