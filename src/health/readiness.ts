import { Injectable } from '@nestjs/common';

/** Whether this instance wants new traffic: false from the moment a shutdown begins. */
@Injectable()
export class Readiness {
  accepting = true;
}
