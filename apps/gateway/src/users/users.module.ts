import { Module } from '@nestjs/common';
import { DemoUsersSeeder } from './demo-users.seeder.js';
import { MeController } from './me.controller.js';
import { UsersRepository } from './users.repository.js';

@Module({
  controllers: [MeController],
  providers: [UsersRepository, DemoUsersSeeder],
  exports: [UsersRepository],
})
export class UsersModule {}
